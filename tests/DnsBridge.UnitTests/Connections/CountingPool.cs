using System.Buffers;

namespace DnsBridge.UnitTests.Connections;

/// <summary>An array pool that counts what is still out and what came back twice (or was never rented).</summary>
internal sealed class CountingPool : ArrayPool<byte>
{
    private readonly HashSet<byte[]> _out = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();

    public int Rented { get; private set; }

    public int WrongReturns { get; private set; }

    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _out.Count;
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        var buffer = new byte[minimumLength];
        lock (_gate)
        {
            _out.Add(buffer);
            Rented++;
        }

        return buffer;
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        lock (_gate)
        {
            if (!_out.Remove(array))
            {
                WrongReturns++;
            }
        }
    }
}
