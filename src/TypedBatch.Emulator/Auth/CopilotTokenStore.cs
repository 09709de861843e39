using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace TypedBatch.Emulator;

/// <summary>A Copilot token handed out by the exchange, with its expiry.</summary>
/// <param name="Token">The opaque token.</param>
/// <param name="ExpiresAt">When it stops being accepted.</param>
internal sealed record IssuedCopilotToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>What a presented Copilot token is worth.</summary>
internal enum CopilotTokenStatus
{
    Valid,
    Unknown,
    Expired,
}

/// <summary>The Copilot tokens issued by the exchange, checked against wall-clock time.</summary>
internal sealed class CopilotTokenStore
{
    private const int PruneThreshold = 1024;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public CopilotTokenStore(TimeProvider time) => _time = time;

    /// <summary>Issues a new random token valid for <paramref name="lifetime"/>.</summary>
    public IssuedCopilotToken Issue(TimeSpan lifetime)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_expiries.Count > PruneThreshold)
        {
            foreach ((string? token, DateTimeOffset expiry) in _expiries)
            {
                if (expiry <= now)
                {
                    _expiries.TryRemove(token, out _);
                }
            }
        }

        DateTimeOffset expiresAt = now + lifetime;

        // Shaped like real Copilot tokens (semicolon-separated fields and a MAC) so that clients
        // which pass the token through verbatim are exercised with the same characters.
        string issued = string.Create(
            CultureInfo.InvariantCulture,
            $"tid={RandomHex(16)};exp={expiresAt.ToUnixTimeSeconds()};sku=emulator;proxy-ep=emulator:{RandomHex(32)}");
        _expiries[issued] = expiresAt;
        return new IssuedCopilotToken(issued, expiresAt);
    }

    /// <summary>Whether <paramref name="token"/> was issued here and has not expired.</summary>
    public CopilotTokenStatus Check(string token)
    {
        if (!_expiries.TryGetValue(token, out DateTimeOffset expiresAt))
        {
            return CopilotTokenStatus.Unknown;
        }

        return _time.GetUtcNow() < expiresAt ? CopilotTokenStatus.Valid : CopilotTokenStatus.Expired;
    }

    private static string RandomHex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
