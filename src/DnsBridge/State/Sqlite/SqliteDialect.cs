using System.Data.Common;

namespace DnsBridge.State.Sqlite;

/// <summary>SQLite keeps instants as fixed-width ISO text (<see cref="SqliteTime"/>) and the write order in rowid.</summary>
internal sealed class SqliteDialect : StateDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string InsertionOrder => "rowid";

    public override object Time(DateTimeOffset at) => SqliteTime.Iso(at);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => SqliteTime.Parse(reader.GetString(ordinal));
}
