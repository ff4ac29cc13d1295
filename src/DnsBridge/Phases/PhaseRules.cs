using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Mirror;

namespace DnsBridge.Phases;

/// <summary>
/// DESIGN.md's phase rules as pure functions: which changes are allowed, and what the readiness gate
/// (<c>Switch.Require</c>) finds missing. No clock, no I/O, no DI: the controller reads, asks these, and writes.
/// </summary>
internal static class PhaseRules
{
    /// <summary>
    /// The phases each phase may be entered from. Rehearse again from frozen (the sync is called off) or after a
    /// rollback; freeze from rehearsal or after a rollback (a second attempt); switch from anywhere before it
    /// (frozen is the normal way, rehearsal and rolled_back skip the hold); roll back from switched or from frozen (the
    /// sync failed). Never from a phase to itself, and never from switched back to rehearsal or frozen without a rollback.
    /// </summary>
    private static readonly Dictionary<CutoverPhase, CutoverPhase[]> EnteredFrom = new Dictionary<CutoverPhase, CutoverPhase[]>
    {
        [CutoverPhase.Rehearsal] = [CutoverPhase.Frozen, CutoverPhase.RolledBack],
        [CutoverPhase.Frozen] = [CutoverPhase.Rehearsal, CutoverPhase.RolledBack],
        [CutoverPhase.Switched] = [CutoverPhase.Rehearsal, CutoverPhase.Frozen, CutoverPhase.RolledBack],
        [CutoverPhase.RolledBack] = [CutoverPhase.Switched, CutoverPhase.Frozen],
    };

    /// <summary>The phase of a cutover with a source backend that never changed phase.</summary>
    public const CutoverPhase Initial = CutoverPhase.Rehearsal;

    public static bool Allowed(CutoverPhase from, CutoverPhase to) => EnteredFrom[to].Contains(from);

    /// <summary>Null when <paramref name="from"/> → <paramref name="to"/> is allowed, else why not, in words.</summary>
    public static string? Refusal(string cutover, CutoverPhase from, CutoverPhase to)
    {
        if (from == to)
        {
            return $"{cutover} is already {to.Label()}";
        }

        return Allowed(from, to)
            ? null
            : $"{cutover} is {from.Label()}: {to.Label()} can only follow {string.Join(" or ", EnteredFrom[to].Select(p => p.Label()))}";
    }

    /// <summary>
    /// What the mirrored comparison lacks for a switch, one line per failing bound (overall first, then each failing
    /// path group); empty when nothing is required or everything holds.
    /// </summary>
    public static IReadOnlyList<string> GateFailures(SwitchRequireConfig? require, MirrorReadiness readiness)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        if (require is null)
        {
            return [];
        }

        var failures = new List<string>();
        if (require.MinMirrored is { } minMirrored && readiness.Mirrored < minMirrored)
        {
            failures.Add(F($"{readiness.Mirrored} requests mirrored, Switch.Require.MinMirrored is {minMirrored}"));
        }

        if (require.MinStatusMatch is { } minMatch)
        {
            if (readiness.StatusMatchRatio is not { } ratio)
            {
                failures.Add(F($"no mirrored request to compare status codes, Switch.Require.MinStatusMatch is {minMatch}"));
            }
            else if (ratio < minMatch)
            {
                failures.Add(F($"status codes match in {ratio:0.####} of mirrored requests, Switch.Require.MinStatusMatch is {minMatch}"));
            }

            foreach (var g in readiness.PathGroups)
            {
                if (g.StatusMatchRatio is { } r && r < minMatch)
                {
                    failures.Add(F($"path {g.PathGroup}: status codes match in {r:0.####} ({g.StatusMatches}/{g.Copies}, {g.TargetErrors} target errors)"));
                }
            }
        }

        if (require.MaxLatencyRatioP99 is { } maxRatio)
        {
            if (readiness.LatencyRatioP99 is not { } latency)
            {
                failures.Add(F($"no mirrored latency to compare, Switch.Require.MaxLatencyRatioP99 is {maxRatio}"));
            }
            else if (latency > maxRatio)
            {
                failures.Add(F($"target p99 latency is {latency:0.##}x the source's, Switch.Require.MaxLatencyRatioP99 is {maxRatio}"));
            }

            foreach (var g in readiness.PathGroups)
            {
                if (g.LatencyRatioP99 is { } r && r > maxRatio)
                {
                    failures.Add(F($"path {g.PathGroup}: target p99 {g.TargetP99!.Value.TotalMilliseconds:0} ms is {r:0.##}x the source's {g.SourceP99!.Value.TotalMilliseconds:0} ms"));
                }
            }
        }

        return failures;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
