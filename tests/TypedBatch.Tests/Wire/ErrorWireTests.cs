using System.Net;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Wire;

/// <summary>Error answers, recorded and hand-written, turned into <see cref="ProviderException"/>s.</summary>
public sealed class ErrorWireTests
{
    private static readonly ChatRequest BadKeyRequest = WireHarness.Chat("gpt-4o-mini", PromptMessage.User("Uh oh, this isn't going to work with that key"));

    private static readonly ChatRequest Hello = WireHarness.Chat("gpt-4o-mini", PromptMessage.User("Hello"));

    [Fact]
    public async Task Bad_key_throws_http_401_with_the_providers_type_code_and_message()
    {
        using var wire = new WireHarness(RecordedExchange.Load("ChatTests_AuthFailure"));

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(BadKeyRequest))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.Http);
        error.StatusCode.Should().Be(401);
        error.ErrorType.Should().Be("invalid_request_error");
        error.ErrorCode.Should().Be("invalid_api_key");
        error.Param.Should().BeNull();
        error.Provider.Should().Be("openai");
        error.Message.Should().Contain("Incorrect API key");
    }

    [Fact]
    public async Task Bad_key_error_carries_the_request_id_and_attempt_count()
    {
        using var wire = new WireHarness(RecordedExchange.Load("ChatTests_AuthFailure"));

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(BadKeyRequest))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.RequestId.Should().Be("Sanitized", "the recording's X-Request-ID was sanitized to that word");
        error.Attempts.Should().Be(1);
    }

    [Fact]
    public async Task Bad_key_message_does_not_repeat_the_key_prefix_the_server_echoes()
    {
        // The server answered "Incorrect API key provided: not-a-re****…ized": the first 8 characters of the key.
        const string key = "not-a-real-key-Sanitized";
        using var wire = new WireHarness(RecordedExchange.Load("ChatTests_AuthFailure"), apiKey: key);

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(BadKeyRequest))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Message.Should().Contain("Incorrect API key provided:");
        error.Message.Should().NotContain(key[..8]).And.NotContain(key);
        error.ProviderMessage.Should().NotContain(key[..8]);
        BatchError.FromException(error).ToString().Should().NotContain(key[..8]);
    }

    [Fact]
    public async Task Bad_embedding_option_throws_http_400_with_the_message_and_no_code()
    {
        using var wire = new WireHarness(RecordedExchange.Load("EmbeddingsTests_BadOptions"));

        ProviderException error = (await wire.Provider.Invoking(p => p.EmbedAsync(new EmbeddingRequest(["foo"], "text-embedding-3-small", Dimensions: -42)))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.Http);
        error.StatusCode.Should().Be(400);
        error.ProviderMessage.Should().Be("-42 is less than the minimum of 1 - 'dimensions'");
        error.ErrorType.Should().Be("invalid_request_error");
        error.ErrorCode.Should().BeNull();
    }

    [Fact]
    public async Task Error_answer_still_updates_the_rate_limits()
    {
        using var wire = new WireHarness(RecordedExchange.Load("EmbeddingsTests_BadOptions"));

        await wire.Provider.Invoking(p => p.EmbedAsync(new EmbeddingRequest(["foo"], "text-embedding-3-small", Dimensions: -42)))
            .Should().ThrowAsync<ProviderException>();

        wire.LatestRateLimit.Should().Be(new RateLimitInfo
        {
            LimitRequests = 10000,
            RemainingRequests = 9999,
            ResetRequests = TimeSpan.FromMilliseconds(6),
        });
    }

    [Fact]
    public async Task Integer_error_code_from_vllm_is_given_as_text()
    {
        const string vllm = """{"error":{"message":"x","type":"BadRequestError","param":null,"code":400}}""";
        using var wire = new WireHarness(RecordedExchange.Synthetic(HttpStatusCode.BadRequest, vllm));

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(Hello))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be(400);
        error.ErrorCode.Should().Be("400");
        error.ErrorType.Should().Be("BadRequestError");
        error.ProviderMessage.Should().Be("x");
    }

    [Fact]
    public async Task Html_error_page_from_a_proxy_gives_a_bounded_message()
    {
        string html = "<html><head><title>502 Bad Gateway</title></head><body>" + new string('x', 10_000) + "</body></html>";
        using var wire = new WireHarness(RecordedExchange.Synthetic(HttpStatusCode.BadGateway, html, "text/html"));

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(Hello))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.Http);
        error.StatusCode.Should().Be(502);
        error.ProviderMessage.Should().StartWith("<html><head><title>502 Bad Gateway</title>");
        error.ProviderMessage.Length.Should().BeLessThanOrEqualTo(200);
        error.Message.Length.Should().BeLessThan(300);
        error.ErrorCode.Should().BeNull();
    }

    [Fact]
    public async Task Success_status_with_a_cut_off_body_is_a_transport_failure()
    {
        var recorded = RecordedExchange.Load("ChatTests_HelloWorldChat");
        RecordedExchange truncated = recorded with { ResponseBodyText = recorded.ResponseBodyText[..(recorded.ResponseBodyText.Length / 2)] };
        using var wire = new WireHarness(truncated);

        ProviderException error = (await wire.Provider.Invoking(p => p.CompleteAsync(WireHarness.Chat("gpt-4o-mini", PromptMessage.User("Hello, world!"))))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.Transport);
        error.StatusCode.Should().Be(200);
    }
}
