using DnsBridge.Connections;

namespace DnsBridge.UnitTests.Connections;

public sealed class ConnectionHeaderTests
{
    private readonly CountingPool _pool = new();

    [Fact]
    public void Nothing_is_rented_until_bytes_are_there()
    {
        using var header = new ConnectionHeader(_pool);

        Assert.Null(header.Buffer);
        Assert.True(header.Bytes.IsEmpty);
        Assert.Equal(0, _pool.Rented);
    }

    [Fact]
    public void Growing_keeps_what_was_read_and_returns_the_smaller_buffer()
    {
        var header = new ConnectionHeader(_pool);
        header.Rent(8);
        "hello"u8.CopyTo(header.Buffer!);
        header.Filled = 5;

        var larger = header.Grow(64);

        Assert.Same(larger, header.Buffer);
        Assert.Equal("hello"u8.ToArray(), header.Bytes.ToArray());
        Assert.Equal(1, _pool.Outstanding);
        header.Dispose();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void The_buffer_is_returned_exactly_once()
    {
        var header = new ConnectionHeader(_pool);
        header.Rent(16);
        header.Rent(16);

        header.Dispose();
        header.Dispose();

        Assert.Equal(1, _pool.Rented);
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(0, _pool.WrongReturns);
    }
}
