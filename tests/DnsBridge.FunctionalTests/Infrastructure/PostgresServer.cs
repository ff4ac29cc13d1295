using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL 15 (Debian's <c>postgresql</c> package) for the tests: <c>initdb</c> into a temp folder owned
/// by the <c>postgres</c> OS user (PostgreSQL refuses to run as root), listening on 127.0.0.1 and a free port with its
/// unix socket in that folder, password authentication over TCP (so connection strings carry a real secret), fsync
/// off for speed. The postmaster is this process's child (<c>setpriv</c> execs it, no intermediate shell), so
/// <see cref="StopAsync"/> signals it directly; <see cref="StartAsync"/> brings it back on the same port and data.
/// One server per test run through <see cref="SharedPostgres"/>; each test class takes its own database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly string _directory = Directory.CreateTempSubdirectory("dnsbridge-pg").FullName;
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
    private Process? _postmaster;
    private int _databases;

    public int Port { get; private set; }

    /// <summary>The superuser's password: a secret the tests look for in logs and output.</summary>
    public string Password => _password;

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "postgres.log");

    /// <summary>Connection string for the superuser to <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = _password,
        Database = database,
        Timeout = 5,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 is not installed ({BinDirectory}/initdb missing): the Debian package 'postgresql' is needed; run tests/setup/install-packages.sh");
        }

        await RunAsync("chown", "postgres:postgres", _directory);
        var passwordFile = Path.Combine(_directory, "pw");
        await File.WriteAllTextAsync(passwordFile, _password);
        await RunAsync("chown", "postgres:postgres", passwordFile);
        await RunAsPostgresAsync(Path.Combine(BinDirectory, "initdb"), "-D", DataDirectory, "-U", "postgres", "--pwfile", passwordFile,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
        File.Delete(passwordFile);
        Port = BridgeProcess.FreePort();
        await StartAsync();
    }

    /// <summary>Starts the postmaster (again: same port, same data) and waits, bounded, until it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (_postmaster is { HasExited: false })
        {
            throw new InvalidOperationException("PostgreSQL is already running");
        }

        var info = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(BinDirectory, "postgres"), "-D", DataDirectory,
            "-p", Port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={_directory}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
            "-c", "logging_collector=off", "-c", "log_min_messages=warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

        _postmaster?.Dispose();
        _postmaster = Process.Start(info)!;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        _postmaster.OutputDataReceived += (_, e) => Write(log, e.Data);
        _postmaster.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _postmaster.BeginOutputReadLine();
        _postmaster.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(Unpooled(ConnectionString()));
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline && !_postmaster.HasExited)
            {
                await Task.Delay(100);
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException($"PostgreSQL did not start on 127.0.0.1:{Port}: {e.Message}\n{ReadLog()}", e);
            }
        }
    }

    /// <summary>
    /// Stops the server as an operator's fast shutdown does (SIGINT: open sessions are ended, nothing is waited for),
    /// and waits until it is gone; clients see their connections closed and new ones refused.
    /// </summary>
    public async Task StopAsync()
    {
        if (_postmaster is null || _postmaster.HasExited)
        {
            return;
        }

        await RunAsync("kill", "-INT", _postmaster.Id.ToString(CultureInfo.InvariantCulture));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _postmaster.WaitForExitAsync(timeout.Token);
    }

    /// <summary>
    /// Freezes (SIGSTOP) or thaws (SIGCONT) the postmaster and every backend, as a hung host or a stalled disk would:
    /// connections stay open and nothing answers, or is refused, until it is thawed.
    /// </summary>
    public async Task SignalAllAsync(bool stop)
    {
        var postmaster = _postmaster ?? throw new InvalidOperationException("PostgreSQL is not running");
        var pids = new List<int> { postmaster.Id };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && File.Exists(Path.Combine(dir, "stat")))
            {
                try
                {
                    // The fourth field of /proc/PID/stat is the parent's pid (the second, the name in parentheses, has no spaces here).
                    var fields = File.ReadAllText(Path.Combine(dir, "stat")).Split(' ');
                    if (fields.Length > 3 && fields[3] == postmaster.Id.ToString(CultureInfo.InvariantCulture))
                    {
                        pids.Add(pid);
                    }
                }
                catch (IOException)
                {
                }
            }
        }

        // A backend can end between the listing and the signal (a session closed or terminated by the test): kill
        // still signals every other pid and reports that one as gone, which is not a failure here.
        var (exitCode, output) = await RunForExitAsync("kill", [stop ? "-STOP" : "-CONT", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        var problems = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.EndsWith("No such process", StringComparison.Ordinal))
            .ToList();
        if (exitCode != 0 && (problems.Count > 0 || output.Contains($"({postmaster.Id})", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"kill {(stop ? "-STOP" : "-CONT")} exited {exitCode}: {output}");
        }
    }

    /// <summary>A new, empty database (a unique name from <paramref name="prefix"/>); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = NewDatabaseName(prefix);
        await using var connection = new NpgsqlConnection(Unpooled(ConnectionString()));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary><see cref="CreateDatabaseAsync"/> for synchronous callers (a test class's constructor).</summary>
    public string CreateDatabase(string prefix = "test")
    {
        var name = NewDatabaseName(prefix);
        using var connection = new NpgsqlConnection(Unpooled(ConnectionString()));
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    // The fixture's own sessions are never pooled: an idle pooled session would be stale after a restart, and the
    // stores under test must meet that staleness themselves, not the fixture.
    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private string NewDatabaseName(string prefix) => $"{prefix.ToLowerInvariant()}_{Interlocked.Increment(ref _databases)}_{Environment.ProcessId}";

    /// <summary>Runs one SQL statement (or several, no parameters) on <paramref name="connectionString"/>'s database.</summary>
    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync();
        return result is DBNull ? null : result;
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";

    public async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _postmaster?.Kill();
        }

        _postmaster?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    private static Task RunAsPostgresAsync(params string[] args) => RunAsync("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", .. args]);

    private static async Task RunAsync(string file, params string[] args)
    {
        var (exitCode, output) = await RunForExitAsync(file, args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {exitCode}: {output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunForExitAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
