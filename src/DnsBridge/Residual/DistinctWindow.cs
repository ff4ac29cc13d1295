namespace DnsBridge.Residual;

/// <summary>
/// Distinct keys (clients) over about the last hour, in bounded memory however many there are: one
/// <see cref="HyperLogLog"/> per 10-minute slot, and a read merges the current slot with the six before it, so
/// it covers the last 60 to 70 minutes. A slot is replaced, not cleared, when its 10 minutes come round again, so
/// an add never races with a reset. At most 7 x 4 KiB per cutover, and nothing until its first client (a slot's
/// sketch is made by the first add in its 10 minutes).
/// </summary>
internal sealed class DistinctWindow
{
    public static readonly TimeSpan SlotLength = TimeSpan.FromMinutes(10);
    private const int Slots = 7;

    private readonly Slot?[] _slots = new Slot?[Slots];

    public void Add(ulong hash, long nowTicks)
    {
        var stamp = nowTicks / SlotLength.Ticks;
        ref var cell = ref _slots[(int)(stamp % Slots)];
        var slot = Volatile.Read(ref cell);
        if (slot is null || slot.Stamp < stamp)
        {
            var fresh = new Slot(stamp);
            var seen = Interlocked.CompareExchange(ref cell, fresh, slot);
            slot = ReferenceEquals(seen, slot) ? fresh : seen!;
        }

        slot.Sketch.Add(hash);
    }

    /// <summary>Distinct keys added in the current slot and the six before it (estimated, about 1.6 % standard error).</summary>
    public long Estimate(long nowTicks)
    {
        var stamp = nowTicks / SlotLength.Ticks;
        Span<byte> registers = stackalloc byte[HyperLogLog.RegisterCount];
        registers.Clear();
        foreach (var slot in _slots)
        {
            if (slot is not null && slot.Stamp > stamp - Slots && slot.Stamp <= stamp)
            {
                slot.Sketch.MergeInto(registers);
            }
        }

        return HyperLogLog.Estimate(registers);
    }

    private sealed class Slot(long stamp)
    {
        public long Stamp { get; } = stamp;

        public HyperLogLog Sketch { get; } = new();
    }
}
