using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Polly;
using TypedBatch.Resilience;

namespace TypedBatch.Tests.Mutation;

/// <summary>The body check inside the retry loop, in process over a stub server, and the pipeline's retry wiring.</summary>
public sealed class ResponseValidationTests
{
    private static HttpMessageInvoker Invoker(HttpResponseMessage answer, long maxBytes = 1024)
        => new(new ResponseValidationHandler(maxBytes) { InnerHandler = new Stub(answer) });

    private static HttpContent Json(string body, string mediaType = "application/json") => new StringContent(body, Encoding.UTF8, mediaType);

    private static Task<HttpResponseMessage> Send(HttpMessageInvoker invoker) => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://stub.test/"), default);

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("{\"a\":1}  \r\n\t")]
    [InlineData("\uFEFF{\"a\":1}")]
    [InlineData("/* note */ {\"a\":[1,2]}")]
    public async Task A_complete_json_body_is_handed_on_in_memory_with_its_content_type(string body)
    {
        HttpContent original = Json(body);
        HttpResponseMessage response = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = original }));

        response.Content.Should().NotBeSameAs(original).And.BeOfType<ByteArrayContent>();
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        response.Content.Headers.ContentType.CharSet.Should().Be("utf-8");
        (await response.Content.ReadAsStringAsync()).Should().Be(body.TrimStart('\uFEFF'));
    }

    [Theory]
    [InlineData("{\"a\":", 5)]
    [InlineData("{\"a\":1} x", 9)]
    [InlineData("", 0)]
    [InlineData("not json", 8)]
    public async Task A_successful_json_answer_that_is_cut_off_or_not_json_is_malformed(string body, int length)
    {
        Func<Task> act = () => Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = Json(body) }));

        await act.Should().ThrowAsync<MalformedResponseException>().WithMessage($"HTTP 200 with a body that is cut off or not JSON ({length} bytes).");
    }

    [Fact]
    public async Task Error_bodies_and_other_media_types_are_not_checked_but_are_buffered()
    {
        HttpResponseMessage error = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = Json("{oops") }));
        HttpResponseMessage text = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = Json("plain words", "text/plain") }));

        (await error.Content.ReadAsStringAsync()).Should().Be("{oops");
        error.Content.Should().BeOfType<ByteArrayContent>();
        (await text.Content.ReadAsStringAsync()).Should().Be("plain words");
        text.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
    }

    [Fact]
    public async Task A_stream_is_left_alone()
    {
        var original = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("data: {\n\n")));
        original.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");

        HttpResponseMessage response = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = original }));

        response.Content.Should().BeSameAs(original);
    }

    [Fact]
    public async Task An_announced_length_over_the_cap_is_refused_before_reading()
    {
        var content = new ByteArrayContent(new byte[11]);
        content.Headers.ContentLength = 11;

        Func<Task> act = () => Send(Invoker(new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = content }, maxBytes: 10));

        ResponseTooLargeException thrown = (await act.Should().ThrowAsync<ResponseTooLargeException>()).Which;
        thrown.StatusCode.Should().Be(502);
        thrown.Message.Should().Be("The response (HTTP 502) is larger than MaxResponseBytes (10 bytes) and was not read further; raise TypedBatchOptions.MaxResponseBytes if such answers are expected.");
    }

    [Fact]
    public async Task An_announced_length_at_the_cap_is_read_and_a_short_body_is_an_io_failure()
    {
        var exact = new ByteArrayContent(Encoding.UTF8.GetBytes("0123456789"));
        exact.Headers.ContentLength = 10;
        var shortBody = new ByteArrayContent(Encoding.UTF8.GetBytes("01234"));
        shortBody.Headers.ContentLength = 10;

        HttpResponseMessage response = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = exact }, maxBytes: 10));
        Func<Task> act = () => Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = shortBody }, maxBytes: 10));

        (await response.Content.ReadAsStringAsync()).Should().Be("0123456789");
        await act.Should().ThrowAsync<IOException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16 * 1024)]
    [InlineData((16 * 1024) + 1)]
    [InlineData(100_000)]
    public async Task A_body_without_a_length_is_read_whole_up_to_the_cap(int size)
    {
        byte[] body = Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray();

        HttpResponseMessage response = await Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = Unsized(body) }, maxBytes: 100_000));

        (await response.Content.ReadAsByteArrayAsync()).Should().Equal(body);
    }

    [Fact]
    public async Task A_body_without_a_length_one_byte_over_the_cap_is_refused()
    {
        Func<Task> act = () => Send(Invoker(new HttpResponseMessage(HttpStatusCode.OK) { Content = Unsized(new byte[101]) }, maxBytes: 100));

        (await act.Should().ThrowAsync<ResponseTooLargeException>()).Which.StatusCode.Should().Be(200);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public async Task The_pipeline_retries_only_when_retries_are_configured(int maxRetries, int attempts)
    {
        var options = new TypedBatchOptions { MaxRetries = maxRetries, RetryBaseDelay = TimeSpan.Zero };
        ResiliencePipeline<HttpResponseMessage> pipeline = ProviderPipeline.Build(options, new RetryPolicy(TimeSpan.FromMinutes(1), TimeProvider.System, _ => false), TimeProvider.System);
        int calls = 0;

        HttpResponseMessage response = await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        });

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        calls.Should().Be(attempts);
    }

    private static StreamContent Unsized(byte[] body)
    {
        var content = new StreamContent(new UnseekableStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private sealed class Stub(HttpResponseMessage answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer);
    }

    /// <summary>A body whose length is not known up front, delivered in small reads like a chunked response.</summary>
    private sealed class UnseekableStream(byte[] body) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 7000), body.Length - _position);
            Array.Copy(body, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
