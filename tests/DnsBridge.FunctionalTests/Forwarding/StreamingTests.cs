using System.Net;
using System.Security.Cryptography;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>Bodies stream through the bridge in both directions, without buffering and without Kestrel's 30 MB limit.</summary>
public sealed class StreamingTests
{
    private static object Cutover(TestUpstream target) => new
    {
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
    };

    [Fact]
    public async Task A_100_MiB_upload_arrives_intact()
    {
        await using var target = await TestUpstream.StartAsync(app => app.MapPost("/upload", async (HttpContext c) =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long total = 0;
            int n;
            while ((n = await c.Request.Body.ReadAsync(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                total += n;
            }

            return $"{total}:{Convert.ToHexString(sha.GetHashAndReset())}";
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint, TimeSpan.FromMinutes(2));

        const long size = 100L * 1024 * 1024;
        var content = new PatternStream(size);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://shop.example.test/upload") { Content = new StreamContent(content) };
        request.Content.Headers.ContentLength = size;
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{size}:{Convert.ToHexString(PatternStream.Hash(size))}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_streaming_response_reaches_the_client_before_it_ends()
    {
        var secondPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await TestUpstream.StartAsync(app => app.Map("/stream", async (HttpContext c) =>
        {
            await c.Response.WriteAsync("first\n");
            await c.Response.Body.FlushAsync();
            await secondPart.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await c.Response.WriteAsync("second\n");
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        using var response = await client.GetAsync("http://shop.example.test/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The target sends the rest only once the client has seen the first line: a buffering proxy deadlocks here.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("first", await reader.ReadLineAsync(timeout.Token));
        secondPart.SetResult();
        Assert.Equal("second", await reader.ReadLineAsync(timeout.Token));
    }

    /// <summary>A deterministic, non-repeating-looking byte stream of a given length, generated on the fly (no 100 MiB array).</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long _position;

        public static byte[] Hash(long length)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var s = new PatternStream(length);
            var buffer = new byte[81920];
            int n;
            while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha.AppendData(buffer, 0, n);
            }

            return sha.GetHashAndReset();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                var p = _position + i;
                buffer[offset + i] = (byte)((p * 31) ^ (p >> 11));
            }

            _position += n;
            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
