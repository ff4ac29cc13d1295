using System.Text.Json;
using DnsBridge.Events;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State.Sqlite;

/// <summary>Each cutover's drain status as one JSON document per cutover, so a new field needs no schema step.</summary>
internal sealed class SqliteCutoverStatusStore(SqliteStateDatabase database) : ICutoverStatusStore
{
    public IReadOnlyDictionary<string, DrainStatus> Load() => database.Read(StateReads.Statuses);

    public bool Save(string cutover, DrainStatus status, DateTimeOffset now) => database.Write(c => Upsert(c, null, cutover, status, now));

    /// <summary>The one statement that writes a status: also run by the event store inside an event's transaction.</summary>
    internal static void Upsert(SqliteConnection c, SqliteTransaction? transaction, string cutover, DrainStatus status, DateTimeOffset now) =>
        c.Execute(transaction, "INSERT INTO cutover_state (name, status, updated_at) VALUES (@n, @s, @u) ON CONFLICT(name) DO UPDATE SET status = @s, updated_at = @u",
            ("n", cutover), ("s", JsonSerializer.Serialize(status, StateJsonContext.Default.DrainStatus)), ("u", SqliteTime.Iso(now)));
}
