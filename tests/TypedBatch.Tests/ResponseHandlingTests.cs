using System.Net;
using TypedBatch.Http;
using TypedBatch.Resilience;

namespace TypedBatch.Tests;

/// <summary>
/// The pipeline's own handling of answers, where the emulator has no fault to show it: a same-origin redirect followed
/// with the request intact, and a body of unannounced length cut off at the size cap.
/// </summary>
public sealed class ResponseHandlingTests
{
    [Fact]
    public async Task A_same_origin_307_is_followed_with_the_same_method_body_and_credentials()
    {
        var seen = new List<(HttpMethod Method, Uri Uri, string? Body, string? Key)>();
        var server = new Scripted(async request =>
        {
            seen.Add((request.Method, request.RequestUri!, await request.Content!.ReadAsStringAsync(), request.Headers.TryGetValues("api-key", out IEnumerable<string>? key) ? key.Single() : null));
            if (seen.Count == 1)
            {
                var redirect = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
                redirect.Headers.Location = new Uri("/v2/chat/completions?x=1", UriKind.Relative);
                return redirect;
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") };
        });
        using var invoker = new HttpMessageInvoker(new RedirectHandler { InnerHandler = server });
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example/v1/chat/completions") { Content = new StringContent("{\"q\":1}") };
        request.Headers.Add("api-key", "secret-key-1");

        using HttpResponseMessage response = await invoker.SendAsync(request, CancellationToken.None);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        seen.Should().HaveCount(2);
        seen[1].Should().Be((HttpMethod.Post, new Uri("https://api.example/v2/chat/completions?x=1"), "{\"q\":1}", "secret-key-1"));
    }

    [Theory]
    [InlineData(HttpStatusCode.TemporaryRedirect, "https://other.example/v1/chat/completions", "another origin")]
    [InlineData(HttpStatusCode.TemporaryRedirect, "http://api.example/v1/chat/completions", "another origin")]
    [InlineData(HttpStatusCode.TemporaryRedirect, "https://api.example:8443/v1/chat/completions", "another origin")]
    [InlineData(HttpStatusCode.Found, "https://api.example/v2/chat/completions", "POST into a GET")]
    public async Task Other_redirects_are_refused_without_sending_again(HttpStatusCode status, string location, string reason)
    {
        int sent = 0;
        var server = new Scripted(_ =>
        {
            sent++;
            var redirect = new HttpResponseMessage(status);
            redirect.Headers.Location = new Uri(location);
            return Task.FromResult(redirect);
        });
        using var invoker = new HttpMessageInvoker(new RedirectHandler { InnerHandler = server });
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example/v1/chat/completions") { Content = new StringContent("{}") };

        Func<Task> send = () => invoker.SendAsync(request, CancellationToken.None);

        (await send.Should().ThrowAsync<RedirectRefusedException>()).Which.Message.Should().Contain(reason);
        sent.Should().Be(1);
    }

    [Fact]
    public async Task A_body_without_a_length_is_read_no_further_than_the_cap()
    {
        var body = new CountingStream(chunk: 1000, total: 1_000_000);
        var server = new Scripted(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));
        using var invoker = new HttpMessageInvoker(new ResponseValidationHandler(maxBytes: 10_000) { InnerHandler = server });

        Func<Task> send = () => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, "https://api.example/v1/chat/completions"), CancellationToken.None);

        (await send.Should().ThrowAsync<ResponseTooLargeException>()).Which.Message.Should().Contain("MaxResponseBytes (10000 bytes)");
        body.Served.Should().BeLessThanOrEqualTo(11_000, "reading stops at the first chunk past the cap");
    }

    private sealed class Scripted(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }

    /// <summary>A body of unannounced length that counts what was read from it.</summary>
    private sealed class CountingStream(int chunk, long total) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(Math.Min(count, chunk), total - Served);
            buffer.AsSpan(offset, n).Fill((byte)'a');
            Served += n;
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
