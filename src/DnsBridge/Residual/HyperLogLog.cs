using System.Numerics;

namespace DnsBridge.Residual;

/// <summary>
/// How many distinct keys were added, estimated in 4 KiB: HyperLogLog (Flajolet et al., 2007) with 2^12 one-byte
/// registers, standard error 1.04 / sqrt(4096), about 1.6 %; linear counting below 2.5 x 4096, where the raw
/// estimate is biased. Keys come in already hashed (<see cref="KeyHash"/>), 64 bits, so no large-range correction
/// is needed. Adding is lock-free: a register only ever grows.
/// </summary>
internal sealed class HyperLogLog
{
    public const int Precision = 12;
    public const int RegisterCount = 1 << Precision;

    private readonly byte[] _registers = new byte[RegisterCount];

    public void Add(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));

        // Leading zeros of the remaining 52 bits, plus one; the guard bit caps the rank at 53.
        var rank = (byte)(BitOperations.LeadingZeroCount((hash << Precision) | (1UL << (Precision - 1))) + 1);
        ref var register = ref _registers[index];
        var current = Volatile.Read(ref register);
        while (rank > current)
        {
            var seen = Interlocked.CompareExchange(ref register, rank, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Takes the union with what this sketch saw: register-wise maximum into <paramref name="registers"/>.</summary>
    public void MergeInto(Span<byte> registers)
    {
        for (var i = 0; i < RegisterCount; i++)
        {
            var value = Volatile.Read(ref _registers[i]);
            if (value > registers[i])
            {
                registers[i] = value;
            }
        }
    }

    public long Estimate()
    {
        Span<byte> registers = stackalloc byte[RegisterCount];
        registers.Clear();
        MergeInto(registers);
        return Estimate(registers);
    }

    /// <summary>The estimate for a set of <see cref="RegisterCount"/> registers (one sketch, or several merged).</summary>
    public static long Estimate(ReadOnlySpan<byte> registers)
    {
        double sum = 0;
        var zeros = 0;
        foreach (var r in registers)
        {
            sum += Math.ScaleB(1.0, -r);
            if (r == 0)
            {
                zeros++;
            }
        }

        const double M = RegisterCount;
        const double Alpha = 0.7213 / (1 + (1.079 / M));
        var raw = Alpha * M * M / sum;
        var estimate = raw <= 2.5 * M && zeros > 0 ? M * Math.Log(M / zeros) : raw;
        return (long)Math.Round(estimate);
    }
}
