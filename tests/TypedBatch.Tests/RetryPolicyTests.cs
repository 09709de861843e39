using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Retry;
using TypedBatch.Http;
using TypedBatch.Providers.OpenAI;
using TypedBatch.Resilience;

namespace TypedBatch.Tests;

/// <summary>The one retry loop's rules: what is retried, what is not, and how long the server may make us wait.</summary>
public sealed class RetryPolicyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private RetryPolicy Policy(int maxRetryAfterSeconds = 60) => new(TimeSpan.FromSeconds(maxRetryAfterSeconds), _time, OpenAIErrors.IsQuotaError);

    private static HttpResponseMessage Response(HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(body ?? "{}", Encoding.UTF8, "application/json"),
            RequestMessage = new HttpRequestMessage(HttpMethod.Post, "https://api.example/v1/chat/completions"),
        };
        foreach ((string name, string value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Transient_statuses_are_retried(HttpStatusCode status)
    {
        (await Policy().ShouldRetryAsync(Outcome.FromResult(Response(status)))).Should().BeTrue();
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    [InlineData(HttpStatusCode.OK)]
    public async Task Client_errors_and_successes_are_not_retried(HttpStatusCode status)
    {
        (await Policy().ShouldRetryAsync(Outcome.FromResult(Response(status)))).Should().BeFalse();
    }

    [Theory]
    [InlineData("insufficient_quota")]
    [InlineData("credit_balance_exhausted")]
    [InlineData("billing_hard_limit_reached")]
    public async Task Quota_429s_are_not_retried(string code)
    {
        string body = $$$"""{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"{{{code}}}"}}""";

        (await Policy().ShouldRetryAsync(Outcome.FromResult(Response(HttpStatusCode.TooManyRequests, body)))).Should().BeFalse();
    }

    [Fact]
    public async Task A_rate_limit_429_is_retried_and_its_body_stays_readable()
    {
        HttpResponseMessage response = Response(HttpStatusCode.TooManyRequests, """{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}""");

        (await Policy().ShouldRetryAsync(Outcome.FromResult(response))).Should().BeTrue();
        (await response.Content.ReadAsStringAsync()).Should().Contain("slow down");
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "true", true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, "false", false)]
    public async Task X_should_retry_overrides_the_status(HttpStatusCode status, string header, bool expected)
    {
        (await Policy().ShouldRetryAsync(Outcome.FromResult(Response(status, null, ("x-should-retry", header))))).Should().Be(expected);
    }

    [Fact]
    public async Task Transport_failures_and_timeouts_are_retried_but_bugs_are_not()
    {
        (await Policy().ShouldRetryAsync(Outcome.FromException<HttpResponseMessage>(new HttpRequestException("reset")))).Should().BeTrue();
        (await Policy().ShouldRetryAsync(Outcome.FromException<HttpResponseMessage>(new Polly.Timeout.TimeoutRejectedException()))).Should().BeTrue();
        (await Policy().ShouldRetryAsync(Outcome.FromException<HttpResponseMessage>(new MalformedResponseException("cut")))).Should().BeTrue();
        (await Policy().ShouldRetryAsync(Outcome.FromException<HttpResponseMessage>(new InvalidOperationException()))).Should().BeFalse();
    }

    [Fact]
    public void Retry_after_ms_wins_over_retry_after()
    {
        HttpResponseMessage response = Response(HttpStatusCode.TooManyRequests, null, ("retry-after-ms", "1500"), ("Retry-After", "7"));

        Policy().ServerDelay(response).Should().Be(TimeSpan.FromMilliseconds(1500));
    }

    [Fact]
    public void Retry_after_in_seconds_and_as_an_http_date_are_read()
    {
        Policy().ServerDelay(Response(HttpStatusCode.ServiceUnavailable, null, ("Retry-After", "7"))).Should().Be(TimeSpan.FromSeconds(7));
        string date = _time.GetUtcNow().AddSeconds(20).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Policy().ServerDelay(Response(HttpStatusCode.ServiceUnavailable, null, ("Retry-After", date))).Should().Be(TimeSpan.FromSeconds(20));
        Policy().ServerDelay(Response(HttpStatusCode.ServiceUnavailable, null, ("x-ms-retry-after-ms", "250"))).Should().Be(TimeSpan.FromMilliseconds(250));
        Policy().ServerDelay(Response(HttpStatusCode.ServiceUnavailable)).Should().BeNull();
    }

    [Fact]
    public async Task A_wait_beyond_the_cap_is_not_retried_and_is_marked_for_a_clear_error()
    {
        HttpResponseMessage response = Response(HttpStatusCode.TooManyRequests, null, ("Retry-After", "410400")); // 114 hours
        var call = new CallContext { Model = "m" };
        response.RequestMessage!.Options.Set(CallContext.Key, call);

        (await Policy(maxRetryAfterSeconds: 60).ShouldRetryAsync(Outcome.FromResult(response))).Should().BeFalse();
        call.RetryAfterRefused.Should().Be(TimeSpan.FromHours(114));
    }

    [Fact]
    public async Task The_retry_strategy_waits_exactly_what_the_server_asked()
    {
        RetryPolicy policy = Policy();
        RetryStrategyOptions<HttpResponseMessage> options = policy.CreateOptions(maxRetries: 3, baseDelay: TimeSpan.FromSeconds(1));
        var args = new Polly.Retry.RetryDelayGeneratorArguments<HttpResponseMessage>(ResilienceContextPool.Shared.Get(), Outcome.FromResult(Response(HttpStatusCode.TooManyRequests, null, ("retry-after-ms", "42"))), 0);

        (await options.DelayGenerator!(args)).Should().Be(TimeSpan.FromMilliseconds(42));
    }
}
