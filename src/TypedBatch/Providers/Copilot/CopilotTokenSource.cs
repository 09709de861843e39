using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Copilot;

/// <summary>
/// Exchanges the GitHub token for a short-lived Copilot token, caches it, and exchanges again shortly before the
/// server's <c>refresh_in</c> runs out. Concurrent callers share one exchange, and a failed exchange is remembered for
/// <see cref="FailureCacheDuration"/>: the callers waiting on it and those arriving meanwhile fail with it at once,
/// instead of each repeating an exchange (and its retries) that has just failed for everyone.
/// </summary>
internal sealed class CopilotTokenSource : IDisposable
{
    /// <summary>Where Copilot's chat API lives when the token response names no endpoint.</summary>
    public static readonly Uri DefaultApiBase = new("https://api.githubcopilot.com");

    /// <summary>How long a failed exchange answers for the next ones: long enough for a batch's items to share it, short enough to recover from a blip.</summary>
    public static readonly TimeSpan FailureCacheDuration = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MaxRefreshMargin = TimeSpan.FromMinutes(1);

    private readonly HttpClient _http;
    private readonly Uri _tokenUrl;
    private readonly AuthenticationHeaderValue _githubAuth;
    private readonly TimeProvider _time;
    private readonly SecretRedactor _redactor;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _exchange = new(1, 1);
    private CopilotToken? _current;
    private FailedExchange? _failed;

    public CopilotTokenSource(HttpClient http, Uri tokenUrl, string githubToken, SecretRedactor redactor, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(githubToken);
        _http = http;
        _tokenUrl = tokenUrl;
        _githubAuth = new AuthenticationHeaderValue("token", githubToken);
        _redactor = redactor;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public async ValueTask<CopilotToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        CopilotToken? token = Volatile.Read(ref _current);
        if (token is not null && _time.GetUtcNow() < token.RefreshAt)
        {
            return token;
        }

        ThrowIfRecentlyFailed();
        await _exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            token = Volatile.Read(ref _current);
            if (token is not null && _time.GetUtcNow() < token.RefreshAt)
            {
                return token;
            }

            ThrowIfRecentlyFailed();
            try
            {
                token = await ExchangeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException failure)
            {
                Volatile.Write(ref _failed, new FailedExchange(failure, _time.GetUtcNow() + FailureCacheDuration));
                throw;
            }

            Volatile.Write(ref _failed, null);
            Volatile.Write(ref _current, token);
            return token;
        }
        finally
        {
            _exchange.Release();
        }
    }

    /// <summary>Forgets the cached token (the API rejected it); the next call exchanges again.</summary>
    public void Invalidate() => Volatile.Write(ref _current, null);

    /// <summary>Forgets <paramref name="rejected"/> if it is still the cached token; a newer one is kept.</summary>
    public void Invalidate(CopilotToken rejected) => Interlocked.CompareExchange(ref _current, null, rejected);

    public void Dispose() => _exchange.Dispose();

    /// <summary>Fails with the last exchange's failure while it is fresh; a new exception per caller, as callers run concurrently.</summary>
    private void ThrowIfRecentlyFailed()
    {
        if (Volatile.Read(ref _failed) is { } failed && _time.GetUtcNow() < failed.Until)
        {
            ProviderException last = failed.Failure;
            throw new ProviderException(last.Kind, last.Provider, last.ProviderMessage, last.StatusCode)
            {
                ErrorType = last.ErrorType,
                ErrorCode = last.ErrorCode,
                Attempts = 0,
            };
        }
    }

    private async Task<CopilotToken> ExchangeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _tokenUrl);
        request.Headers.Authorization = _githubAuth;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("TypedBatch", "0.1"));

        HttpResponseMessage response;
        string body;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Described here, so the chat pipeline does not retry it as its own transport failure: the exchange's
            // client has already made its retries.
            throw new ProviderException(ex is OperationCanceledException ? BatchErrorKind.Timeout : BatchErrorKind.Transport, CopilotProviderName,
                $"The GitHub token exchange failed: {_redactor.Redact(ex.Message)}. Check the token URL and the network.", null, ex);
        }

        using HttpResponseMessage owned = response;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new ProviderException(BatchErrorKind.Transport, CopilotProviderName,
                $"The GitHub token exchange failed: its answer could not be read ({_redactor.Redact(ex.Message)}).", (int)response.StatusCode, ex);
        }

        if (!response.IsSuccessStatusCode)
        {
            ErrorDto? error = OpenAIErrors.Parse(body, out string? bare);
            string message = _redactor.Redact(error?.Message ?? bare ?? response.ReasonPhrase);
            throw new ProviderException(BatchErrorKind.Http, CopilotProviderName, $"The GitHub token exchange failed: {message}. Check that GITHUB_TOKEN is valid and has Copilot access.", (int)response.StatusCode);
        }

        CopilotTokenDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(body, WireJsonContext.Default.CopilotTokenDto);
        }
        catch (JsonException ex)
        {
            throw new ProviderException(BatchErrorKind.Transport, CopilotProviderName, $"The token exchange answer is not valid JSON: {ex.Message}", (int)response.StatusCode);
        }

        if (string.IsNullOrEmpty(dto?.Token))
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, CopilotProviderName, "The token exchange answer has no token.", (int)response.StatusCode);
        }

        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset expiresAt = dto.ExpiresAt is { } unix ? DateTimeOffset.FromUnixTimeSeconds(unix) : now.AddMinutes(25);
        TimeSpan refreshIn = dto.RefreshIn is { } seconds ? TimeSpan.FromSeconds(seconds) : expiresAt - now;

        // Refresh about a minute early, or at half time for tokens that live less than two minutes.
        TimeSpan margin = refreshIn > 2 * MaxRefreshMargin ? MaxRefreshMargin : refreshIn / 2;
        // refresh_in is relative, so it is right whatever the local clock says; expires_at only caps it when it is
        // plausible (a local clock running ahead must not force an exchange per request).
        DateTimeOffset refreshAt = now + refreshIn - margin;
        if (expiresAt - margin > now && refreshAt > expiresAt - margin)
        {
            refreshAt = expiresAt - margin;
        }

        Uri apiBase = Uri.TryCreate(dto.Endpoints?.Api, UriKind.Absolute, out Uri? api) ? api : DefaultApiBase;
        Log.CopilotTokenExchanged(_logger, expiresAt, refreshAt);
        if (Volatile.Read(ref _current)?.ApiBase != apiBase)
        {
            LogApiBase(apiBase);
        }

        return new CopilotToken(new AuthenticationHeaderValue("Bearer", dto.Token), apiBase, expiresAt, refreshAt);
    }

    private void LogApiBase(Uri apiBase)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // Never the user info or query: a proxy URL may carry a key.
            string tokenUrl = _tokenUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
            string api = apiBase.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
            Log.CopilotApiBase(_logger, tokenUrl, api);
        }
    }

    internal const string CopilotProviderName = "github-copilot";
}

/// <summary>A failed exchange and until when it answers for the next ones.</summary>
internal sealed record FailedExchange(ProviderException Failure, DateTimeOffset Until);

/// <summary>A Copilot token with where to send requests and when to refresh it. <see cref="ToString"/> hides the token.</summary>
internal sealed record CopilotToken(AuthenticationHeaderValue Authorization, Uri ApiBase, DateTimeOffset ExpiresAt, DateTimeOffset RefreshAt)
{
    public override string ToString() => $"CopilotToken(api {ApiBase}, expires {ExpiresAt:O})";
}
