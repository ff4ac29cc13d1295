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

    [Fact]
    public void A_capture_grown_over_several_pooled_arrays_keeps_every_byte_in_order_and_its_copy_outlives_the_pool()
    {
        // 100 KB in odd-sized pieces: the buffer starts at 1 KiB and grows (and gives arrays back) many times.
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        var buffer = new CaptureBuffer(200_000);
        for (var at = 0; at < data.Length; at += 2999)
        {
            buffer.Append(data.AsSpan(at, Math.Min(2999, data.Length - at)));
        }

        var kept = buffer.ToArray();
        buffer.Dispose();

        Assert.Equal(data, kept);
        Assert.False(buffer.Overflowed);
        Assert.True(buffer.Bytes.IsEmpty);

        // A write that comes after the exchange ended keeps nothing (the pool may have lent the array to another).
        buffer.Append(data.AsSpan(0, 10));
        Assert.True(buffer.Bytes.IsEmpty);

        // A later user of the pool's arrays cannot change what was kept.
        using var other = new CaptureBuffer(200_000);
        other.Append(new byte[150_000]);
        Assert.Equal(data, kept);
    }
}
