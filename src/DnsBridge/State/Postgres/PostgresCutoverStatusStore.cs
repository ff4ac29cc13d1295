using System.Text.Json;
using DnsBridge.Events;
using Npgsql;
using NpgsqlTypes;

namespace DnsBridge.State.Postgres;

/// <summary>Each cutover's drain status as one JSON document (jsonb) per cutover, as in SQLite: a new field needs no schema step.</summary>
internal sealed class PostgresCutoverStatusStore(PostgresStateDatabase database) : ICutoverStatusStore
{
    public IReadOnlyDictionary<string, DrainStatus> Load() => database.Read(StateReads.Statuses);

    public bool Save(string cutover, DrainStatus status, DateTimeOffset now) => database.WriteAsLeader((c, t) => Upsert(c, t, cutover, status, now));

    /// <summary>The one statement that writes a status: also run by the event store inside an event's transaction.</summary>
    internal static void Upsert(NpgsqlConnection c, NpgsqlTransaction? transaction, string cutover, DrainStatus status, DateTimeOffset now)
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO cutover_state (name, status, updated_at) VALUES (@n, @s, @u) ON CONFLICT (name) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at",
            c, transaction);
        command.Parameters.AddWithValue("n", cutover);
        command.Parameters.AddWithValue("s", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(status, StateJsonContext.Default.DrainStatus));
        command.Parameters.AddWithValue("u", now.ToUniversalTime());
        command.ExecuteNonQuery();
    }
}
