using System.Data.Common;

namespace DnsBridge.State;

/// <summary>
/// The ADO.NET steps every store statement repeats, for both providers: parameters are named without a prefix and
/// written <c>@name</c> in the SQL, which Microsoft.Data.Sqlite and Npgsql both accept.
/// </summary>
internal static class StateCommands
{
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static DbCommand Command(this DbConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        connection.Command(null, sql, parameters);

    public static int Execute(this DbConnection connection, DbTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs the query and maps every row.</summary>
    public static List<T> ReadList<T>(this DbCommand command, Func<DbDataReader, T> row)
    {
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(row(reader));
        }

        return list;
    }

    public static List<T> ReadList<T>(this DbConnection connection, string sql, Func<DbDataReader, T> row, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = connection.Command(sql, parameters);
        return command.ReadList(row);
    }

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
