using System.Globalization;

namespace DnsBridge.State.Sqlite;

/// <summary>
/// Instants as stored: fixed-width ISO 8601 UTC text, so that SQL comparisons and ORDER BY on the text follow time
/// (the outbox's due query depends on it).
/// </summary>
internal static class SqliteTime
{
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string at) => DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
