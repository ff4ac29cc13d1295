using System.Data.Common;

namespace DnsBridge.State;

/// <summary>
/// What the SQL of the stores does differently per database, for the statements both providers share (<see cref="EventReads"/>,
/// <see cref="StateReads"/>, <see cref="ClusterReads"/>): how an instant is stored and read back, and which column keeps
/// the order rows were written in.
/// </summary>
internal abstract class StateDialect
{
    /// <summary>The column that breaks ties between rows written in the same instant (SQLite's rowid, PostgreSQL's seq).</summary>
    public abstract string InsertionOrder { get; }

    /// <summary>An instant as a parameter value.</summary>
    public abstract object Time(DateTimeOffset at);

    /// <summary>An instant as read back.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    public DateTimeOffset? ReadNullableTime(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);
}
