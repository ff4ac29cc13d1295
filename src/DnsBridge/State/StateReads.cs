using System.Data.Common;
using System.Text.Json;
using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>The reads of the per-cutover stores (statuses, phases, histories, delegations), one SQL text for both providers.</summary>
internal static class StateReads
{
    public static Dictionary<string, DrainStatus> Statuses(DbConnection c) =>
        c.ReadList("SELECT name, status FROM cutover_state",
                r => (Name: r.GetString(0), Status: JsonSerializer.Deserialize(r.GetString(1), StateJsonContext.Default.DrainStatus)!))
            .ToDictionary(s => s.Name, s => s.Status, StringComparer.Ordinal);

    public static Dictionary<string, StoredPhase> Phases(DbConnection c, StateDialect d)
    {
        var result = new Dictionary<string, StoredPhase>(StringComparer.Ordinal);
        foreach (var (name, label, since) in c.ReadList("SELECT name, phase, since FROM cutover_phase", r => (r.GetString(0), r.GetString(1), d.ReadTime(r, 2))))
        {
            // A label this release does not know (written by a newer one) is left out: the caller keeps its own view.
            if (CutoverPhases.TryParse(label, out var phase))
            {
                result[name] = new StoredPhase(phase, since);
            }
        }

        return result;
    }

    public static List<PropagationChange> PropagationChanges(DbConnection c, StateDialect d, string cutover) =>
        c.ReadList($"SELECT resolver, at, answer, addresses, ttl FROM propagation_changes WHERE cutover = @c ORDER BY at, {d.InsertionOrder}",
            r => new PropagationChange(cutover, r.GetString(0), d.ReadTime(r, 1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt32(4)),
            ("c", cutover));

    public static List<ResidualMinute> ResidualMinutes(DbConnection c, string cutover) =>
        c.ReadList("SELECT minute, count FROM residual_minutes WHERE cutover = @c ORDER BY minute",
            r => new ResidualMinute(cutover, r.GetInt64(0), r.GetInt64(1)), ("c", cutover));

    public static RememberedNameServers? Remembered(DbConnection c, StateDialect d, string cutover) =>
        c.ReadList("SELECT servers, first_seen_at FROM delegation_seen WHERE cutover = @c",
            r => new RememberedNameServers(cutover, r.GetString(0).Split('\n', StringSplitOptions.RemoveEmptyEntries), d.ReadTime(r, 1)), ("c", cutover))
            .FirstOrDefault();
}
