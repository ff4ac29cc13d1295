using DnsBridge.Mirror;

namespace DnsBridge.UnitTests.Mirror;

public sealed class CaptureStreamTests
{
    [Fact]
    public async Task A_read_tee_passes_every_byte_and_keeps_a_copy_up_to_its_limit()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var tee = new TeeReadStream(new MemoryStream(data), new CaptureBuffer(2000));

        var read = new MemoryStream();
        await tee.CopyToAsync(read, 100);

        Assert.Equal(data, read.ToArray());
        Assert.True(tee.Ended);
        Assert.False(tee.Buffer.Overflowed);
        Assert.Equal(data, tee.Buffer.Bytes.ToArray());
    }

    [Fact]
    public async Task A_write_tee_beyond_its_limit_still_writes_everything_and_says_it_overflowed()
    {
        var inner = new MemoryStream();
        var tee = new TeeWriteStream(inner, new CaptureBuffer(10));

        await tee.WriteAsync(new byte[8]);
        await tee.WriteAsync(new byte[8]);
        tee.Write([1, 2, 3], 0, 3);

        Assert.Equal(19, inner.Length);
        Assert.True(tee.Buffer.Overflowed);
    }
}
