using Npgsql;

namespace DnsBridge.Configuration;

/// <summary>
/// <c>State:ConnectionString</c> read without ever repeating it: it may hold a password, so messages, logs and the
/// API show only <see cref="Describe(string?)"/> (host, port, database).
/// </summary>
internal static class PostgresConnectionString
{
    /// <summary>Parses the string; on failure <paramref name="error"/> says why without quoting any value.</summary>
    public static bool TryParse(string connectionString, out NpgsqlConnectionStringBuilder builder, out string? error)
    {
        builder = new NpgsqlConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's messages can quote the offending value (which may be the password): only the keywords are named.
            error = $"cannot be parsed as a PostgreSQL connection string (Npgsql keywords separated by ';', e.g. Host=db;Database=dnsbridge;Username=dnsbridge): {Keywords(connectionString)}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            error = "has no Host";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>host:port/database, what may be shown of a connection string; "(unparsable)" when it is not one.</summary>
    public static string Describe(string? connectionString) =>
        connectionString is not null && TryParse(connectionString, out var b, out _) ? Describe(b) : "(unparsable connection string)";

    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return $"postgres://{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }

    /// <summary>
    /// GSS encryption off unless the connection string asks for it: Npgsql tries it first by default, and where the
    /// image has no libgssapi_krb5 (ours has none) it writes "Cannot load library libgssapi_krb5.so.2" to the console
    /// at every connect, a line that breaks the one-JSON-event-per-line log stream.
    /// </summary>
    public static void DisableGssEncryptionUnlessSet(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), "GssEncryptionMode", StringComparison.OrdinalIgnoreCase)))
        {
            builder.GssEncryptionMode = GssEncryptionMode.Disable;
        }
    }

    private static string Keywords(string connectionString)
    {
        var keys = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2)[0].Trim())
            .Where(k => k.Length is > 0 and <= 40 && k.All(c => char.IsLetter(c) || c == ' '));
        return $"keywords given: {string.Join(", ", keys)}";
    }
}
