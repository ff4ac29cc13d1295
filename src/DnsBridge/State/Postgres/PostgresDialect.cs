using System.Data.Common;

namespace DnsBridge.State.Postgres;

/// <summary>PostgreSQL keeps instants as timestamptz (sent and read as UTC) and the write order in a seq column.</summary>
internal sealed class PostgresDialect : StateDialect
{
    public static readonly PostgresDialect Instance = new();

    public override string InsertionOrder => "seq";

    public override object Time(DateTimeOffset at) => at.ToUniversalTime();

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);
}
