using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Propagation;

namespace DnsBridge.Drain;

/// <summary>
/// DESIGN.md's drain rules as a pure function: status + propagation + residual figures + now → next status and
/// event. No clock, no I/O, no DI: the detector gathers the input, applies and persists what this returns.
/// </summary>
internal static class DrainStateMachine
{
    /// <summary>The longest trailing window that decides "quiet" (shorter quiet periods use their own length).</summary>
    public static readonly TimeSpan MaxQuietEntryWindow = TimeSpan.FromMinutes(1);

    /// <summary>One snapshot can move a cutover several steps at once (pending → propagating → draining); a bound keeps a bug from looping.</summary>
    private const int MaxSteps = 5;

    public static TimeSpan QuietEntryWindow(DrainConfig drain) => drain.QuietPeriod < MaxQuietEntryWindow ? drain.QuietPeriod : MaxQuietEntryWindow;

    /// <summary>Every step that applies now, in order (empty when the status stays as it is).</summary>
    public static IReadOnlyList<DrainTransition> Advance(CutoverConfig cutover, DrainStatus status, DrainInput input, DateTimeOffset now)
    {
        List<DrainTransition>? steps = null;
        for (var i = 0; i < MaxSteps && Step(cutover, status, input, now) is { } step; i++)
        {
            (steps ??= []).Add(step);
            status = step.Status;
        }

        return steps ?? (IReadOnlyList<DrainTransition>)[];
    }

    /// <summary>The next step from <paramref name="s"/>, or null when nothing changes.</summary>
    public static DrainTransition? Step(CutoverConfig cutover, DrainStatus s, DrainInput input, DateTimeOffset now)
    {
        var drain = cutover.Drain;
        var snapshot = input.Propagation;
        var total = input.ResidualTotal;
        switch (s.State)
        {
            case DrainState.Pending when snapshot is not null && Switched(snapshot):
                return new(s with { State = DrainState.Propagating, Since = now, DnsSwitchedAt = now, StaleUntil = Later(s.StaleUntil, snapshot.StaleUntil) },
                    EventNames.DnsSwitched,
                    snapshot.Authoritative is null
                        ? $"{cutover.Name}: DNS switched: a resolver now answers the target ({Target(cutover)}); no authoritative servers were asked"
                        : snapshot.AuthoritativeUnreachable
                        ? $"{cutover.Name}: DNS switched: a resolver now answers the target ({Target(cutover)}); seen on the resolvers because the authoritative servers did not answer ({snapshot.DescribeUnreachableAuthoritative()})"
                        : $"{cutover.Name}: DNS switched: the authoritative servers now answer the target ({Target(cutover)})");

            case DrainState.Propagating when snapshot is not null:
                // The old delegation's window counts from the stored switch time (it survives restarts), not the poll's.
                var delegation = snapshot.Delegation;
                var held = delegation?.Holds(s.DnsSwitchedAt, now) == true;
                var staleUntil = Later(Later(s.StaleUntil, snapshot.StaleUntil), held ? delegation!.CachedUntil(s.DnsSwitchedAt) : null);
                if (held && s.PreviousNameServersStaleAt is null)
                {
                    return new(s with { PreviousNameServersStaleAt = now, StaleUntil = staleUntil },
                        EventNames.PreviousNameServersStale,
                        $"{cutover.Name}: the previous name servers still answer the source ({string.Join(", ", delegation!.StalePrevious)}); "
                            + $"resolvers that cached the old delegation may ask them until {T(delegation.CachedUntil(s.DnsSwitchedAt))} UTC "
                            + $"(parent NS TTL {delegation.EffectiveParentNsTtl} s): update the record at the old provider too, or keep its zone until then");
                }

                if (snapshot.Complete && !held)
                {
                    var answering = snapshot.Resolvers.Count(r => !r.Resolver.Authoritative && r.Answer != ResolverAnswer.Error);
                    return new(s with { State = DrainState.Draining, Since = now, PropagationCompleteAt = now, StaleUntil = staleUntil },
                        EventNames.PropagationComplete,
                        $"{cutover.Name}: propagation complete: all {answering} answering resolvers give the target"
                            + (staleUntil > now ? $"; the last stale caches expire by {T(staleUntil)} UTC" : ""));
                }

                return staleUntil != s.StaleUntil ? new(s with { StaleUntil = staleUntil }) : null;

            case DrainState.Draining:
                // Not before the last stale cache has expired: a quiet minute then says little about clients still cached.
                var quietAllowedAt = Later(s.PropagationCompleteAt, s.StaleUntil) ?? now;
                return now >= quietAllowedAt && input.ResidualInWindow is { } recent && recent <= drain.Threshold
                    ? new(s with { State = DrainState.Quiet, Since = now, QuietSince = now, Baseline = total })
                    : null;

            case DrainState.Quiet when total - s.Baseline > drain.Threshold:
                return new(s with { State = DrainState.Draining, Since = now, QuietSince = null });

            case DrainState.Quiet when now - s.QuietSince >= drain.QuietPeriod:
                return new(s with { State = DrainState.Drained, Since = now, DrainedAt = now, Baseline = total },
                    EventNames.DrainComplete,
                    $"{cutover.Name}: drained: at most {drain.Threshold} residual request(s) for {drain.QuietPeriod:c} since {T(s.QuietSince)} UTC; "
                        + $"the source proxy and load balancer for {string.Join(", ", cutover.Hosts)} can be decommissioned");

            case DrainState.Drained when total - s.Baseline > drain.Threshold:
                var top = input.TopClient?.Invoke();
                return new(s with { State = DrainState.Draining, Since = now, QuietSince = null, DrainedAt = null },
                    EventNames.DrainRegressed,
                    $"{cutover.Name}: residual traffic is back after the drain: {total - s.Baseline} request(s) since {T(s.DrainedAt)} UTC"
                        + (top is null ? "" : $" (top client {top})") + "; do not decommission the source yet");

            default:
                return null;
        }
    }

    /// <summary>See <see cref="PropagationSnapshot.Switched"/>.</summary>
    public static bool Switched(PropagationSnapshot snapshot) => snapshot.Switched;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string T(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    private static string Target(CutoverConfig c) => string.Create(CultureInfo.InvariantCulture, $"{c.Target.Address}:{c.Target.Port}");
}
