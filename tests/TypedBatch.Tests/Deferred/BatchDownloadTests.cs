using System.Net;
using System.Net.Http.Headers;

namespace TypedBatch.Tests.Deferred;

/// <summary>
/// <c>OpenContentAsync</c>: the file is read as it arrives, never held whole, and is not subject to
/// <see cref="TypedBatchOptions.MaxResponseBytes"/>; error answers still are, and the headers are still retried.
/// </summary>
public sealed class BatchDownloadTests
{
    [Fact]
    public async Task A_file_larger_than_MaxResponseBytes_is_streamed_whole()
    {
        byte[] file = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251)).ToArray();
        using var harness = new BatchApiHarness(_ => Octets(HttpStatusCode.OK, new MemoryStream(file)), o => o.MaxResponseBytes = 1024);

        await using Stream content = await harness.Api.OpenContentAsync("file-out", CancellationToken.None);
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);

        copy.ToArray().Should().Equal(file);
        harness.Requests.Single().Uri.Should().Be(new Uri("https://api.openai.com/v1/files/file-out/content"));
    }

    [Fact]
    public async Task The_stream_is_handed_over_before_the_body_has_arrived_and_disposing_it_releases_the_response()
    {
        var body = new GatedStream("first line\n"u8.ToArray(), "second line\n"u8.ToArray());
        using var harness = new BatchApiHarness(_ => Octets(HttpStatusCode.OK, body));

        // Buffered, the call could not return before the gate opens.
        Stream content = await harness.Api.OpenContentAsync("file-out", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        body.Gate.Task.IsCompleted.Should().BeFalse();
        body.Gate.SetResult();
        using (var reader = new StreamReader(content))
        {
            (await reader.ReadToEndAsync()).Should().Be("first line\nsecond line\n");
        }

        body.Disposed.Should().BeTrue("disposing the stream disposes the response and its content");
    }

    [Fact]
    public async Task Getting_the_headers_is_retried()
    {
        int calls = 0;
        using var harness = new BatchApiHarness(_ => ++calls == 1
            ? BatchApiHarness.Json(HttpStatusCode.BadGateway, """{"error":{"message":"upstream"}}""")
            : Octets(HttpStatusCode.OK, new MemoryStream("{}\n"u8.ToArray())));

        await using Stream content = await harness.Api.OpenContentAsync("file-out", CancellationToken.None);

        (await new StreamReader(content).ReadToEndAsync()).Should().Be("{}\n");
        harness.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_missing_file_is_an_error_with_the_providers_message()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.NotFound, """{"error":{"message":"No such File object: file-gone","type":"invalid_request_error","param":"id"}}""", ("x-request-id", "req_9")));

        ProviderException error = (await harness.Api.Invoking(a => a.OpenContentAsync("file-gone", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be(404);
        error.ProviderMessage.Should().Be("No such File object: file-gone");
        error.Param.Should().Be("id");
        error.RequestId.Should().Be("req_9");
    }

    [Fact]
    public async Task An_error_body_is_still_read_within_MaxResponseBytes()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.BadRequest, "{\"error\":{\"message\":\"" + new string('x', 4096) + "\"}}"), o => o.MaxResponseBytes = 1024);

        ProviderException error = (await harness.Api.Invoking(a => a.OpenContentAsync("file-out", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.InvalidOutput);
        error.Message.Should().Contain("MaxResponseBytes");
    }

    private static HttpResponseMessage Octets(HttpStatusCode status, Stream body)
    {
        var content = new StreamContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new HttpResponseMessage(status) { Content = content };
    }

    /// <summary>Serves its first part at once and the second only once <see cref="Gate"/> is set: a body still on its way.</summary>
    private sealed class GatedStream(byte[] first, byte[] second) : Stream
    {
        private int _part;
        private int _offset;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_part == 1)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            byte[]? current = _part switch { 0 => first, 1 => second, _ => null };
            if (current is null)
            {
                return 0;
            }

            int n = Math.Min(buffer.Length, current.Length - _offset);
            current.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_offset == current.Length)
            {
                _part++;
                _offset = 0;
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
