using DnsBridge.Propagation;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// The charts' series, from what the state store kept: residual arrivals (requests and connections, as the drain rules
/// count them) summed per bucket, and the propagation share replayed from each resolver's recorded answer changes.
/// </summary>
internal static class HistorySeries
{
    /// <summary>How far apart the answers of one poll may be recorded (queries run in parallel within the timeout).</summary>
    public static readonly TimeSpan PollSpread = TimeSpan.FromSeconds(1);

    internal sealed record ResidualPoint(DateTimeOffset At, long Count);

    internal sealed record SharePoint(DateTimeOffset At, double Ratio, int Target, int Answering);

    /// <summary>One point per bucket from the range's start to now, zeros included, so the time axis has no gaps.</summary>
    public static IReadOnlyList<ResidualPoint> Residual(IEnumerable<ResidualMinute> minutes, HistoryRange range, DateTimeOffset now)
    {
        var bucket = range.BucketMinutes;
        var last = now.ToUnixTimeSeconds() / 60 / bucket;
        var count = (int)(range.Span.TotalMinutes / bucket);
        var first = last - count + 1;
        var sums = new long[count];
        foreach (var m in minutes)
        {
            var b = m.Minute / bucket;
            if (b >= first && b <= last)
            {
                sums[b - first] += m.Count;
            }
        }

        return [.. sums.Select((sum, i) => new ResidualPoint(DateTimeOffset.FromUnixTimeSeconds((first + i) * bucket * 60), sum))];
    }

    /// <summary>
    /// The share of answering recursive resolvers whose answer is <c>target</c> after each recorded change (errors not
    /// counted, authoritative servers left out, as for the live ratio). A point at the range's start carries the share
    /// from before it; a resolver that stopped being asked keeps its last answer, which is what the store knows.
    /// </summary>
    public static IReadOnlyList<SharePoint> Share(IEnumerable<PropagationChange> changes, HistoryRange range, DateTimeOffset now)
    {
        var from = now - range.Span;
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        var points = new List<SharePoint>();
        SharePoint? before = null;
        var recursive = changes.Where(c => !c.Resolver.StartsWith(ResolverCatalog.AuthoritativePrefix, StringComparison.Ordinal)).OrderBy(c => c.At).ToList();
        for (var i = 0; i < recursive.Count;)
        {
            // The answers of one poll are recorded one by one as they arrive: one point per poll, not a share of 1 of 1,
            // then 1 of 2 ..., while the rest of the same poll is still coming in.
            var start = recursive[i].At;
            for (; i < recursive.Count && recursive[i].At - start <= PollSpread; i++)
            {
                answers[recursive[i].Resolver] = recursive[i].Answer;
            }

            var answering = answers.Values.Count(a => a != PropagationMetrics.Label(ResolverAnswer.Error));
            var target = answers.Values.Count(a => a == PropagationMetrics.Label(ResolverAnswer.Target));
            var point = new SharePoint(start, answering == 0 ? 0 : Math.Round(target / (double)answering, 4), target, answering);
            if (start < from)
            {
                before = point;
            }
            else if (start <= now)
            {
                points.Add(point);
            }
        }

        if (before is not null)
        {
            points.Insert(0, before with { At = from });
        }

        return points;
    }
}
