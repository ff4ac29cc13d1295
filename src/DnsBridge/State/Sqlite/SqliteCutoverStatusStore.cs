using System.Text.Json;
using DnsBridge.Events;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State.Sqlite;

/// <summary>Each cutover's drain status as one JSON document per cutover, so a new field needs no schema step.</summary>
public sealed class SqliteCutoverStatusStore(SqliteStateDatabase database) : ICutoverStatusStore
{
    public IReadOnlyDictionary<string, DrainStatus> Load() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT name, status FROM cutover_state";
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, DrainStatus>(StringComparer.Ordinal);
        while (reader.Read())
        {
            result[reader.GetString(0)] = JsonSerializer.Deserialize(reader.GetString(1), StateJsonContext.Default.DrainStatus)!;
        }

        return result;
    });

    public bool Save(string cutover, DrainStatus status, DateTimeOffset now) => database.Write(c => Upsert(c, null, cutover, status, now));

    /// <summary>The one statement that writes a status: also run by the event store inside an event's transaction.</summary>
    internal static void Upsert(SqliteConnection c, SqliteTransaction? transaction, string cutover, DrainStatus status, DateTimeOffset now)
    {
        using var command = c.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO cutover_state (name, status, updated_at) VALUES ($n, $s, $u) ON CONFLICT(name) DO UPDATE SET status = $s, updated_at = $u";
        command.Parameters.AddWithValue("$n", cutover);
        command.Parameters.AddWithValue("$s", JsonSerializer.Serialize(status, StateJsonContext.Default.DrainStatus));
        command.Parameters.AddWithValue("$u", SqliteTime.Iso(now));
        command.ExecuteNonQuery();
    }
}
