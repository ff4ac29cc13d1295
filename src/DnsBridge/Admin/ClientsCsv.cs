using System.Globalization;
using System.Text;
using DnsBridge.Residual;

namespace DnsBridge.Admin;

/// <summary>
/// "Who to call": the stale clients of one cutover, heaviest first, from the residual top-clients summary
/// (Space-Saving, since this process started: the summary is not persisted). <c>requests</c> overestimates by at most
/// <c>requests_error</c> (0: exact); <c>first_seen</c> is when the client took its slot (its first request when the
/// error is 0); <c>last_user_agent</c> is the agent of its latest request, capped at 256 characters.
/// </summary>
internal static class ClientsCsv
{
    private static readonly string[] Header = ["client", "first_seen", "last_seen", "requests", "requests_error", "last_user_agent"];

    public static string Of(ResidualCounter? counter)
    {
        var csv = new StringBuilder().AppendRecord(Header);
        foreach (var c in counter?.Clients.Top(counter.Clients.Capacity) ?? [])
        {
            csv.AppendRecord(c.Key.ToString(), Csv.Time(c.FirstSeen), Csv.Time(c.LastSeen), c.Count.ToString(CultureInfo.InvariantCulture),
                c.Error.ToString(CultureInfo.InvariantCulture), c.Tag);
        }

        return csv.ToString();
    }
}
