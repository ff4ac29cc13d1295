using System.Diagnostics;
using System.Net;
using System.Text;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// DnsBridge as a real separate process (<c>dotnet dnsbridge.dll serve</c>), for what only a process can show:
/// SIGKILL, SIGTERM, exit codes, restarts on the same state file.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BridgeProcess(Process process, int proxyPort, int adminPort, bool readOutput)
    {
        _process = process;
        ProxyEndPoint = new IPEndPoint(IPAddress.Loopback, proxyPort);
        AdminUri = new Uri($"http://127.0.0.1:{adminPort}/");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (readOutput)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
    }

    public IPEndPoint ProxyEndPoint { get; }

    public Uri AdminUri { get; }

    public int Pid => _process.Id;

    /// <summary>Whether the process has ended (by itself, or killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once it has ended, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public static int FreePort() => Ports.Free();

    /// <summary>Starts <c>serve</c> with the given config file and waits until /healthz answers.</summary>
    public static Task<BridgeProcess> StartAsync(string configPath, int proxyPort, int adminPort, params string[] extraArgs) =>
        StartAsync(configPath, proxyPort, adminPort, readOutput: true, extraArgs);

    /// <summary>
    /// Starts <c>serve</c>; with <paramref name="readOutput"/> false nobody reads its stdout, so the pipe fills and every
    /// write to stdout blocks from then on, as with a stuck log shipper.
    /// </summary>
    public static Task<BridgeProcess> StartAsync(string configPath, int proxyPort, int adminPort, bool readOutput, params string[] extraArgs) =>
        StartAsync(configPath, proxyPort, adminPort, readOutput, [], extraArgs);

    /// <summary>Starts <c>serve</c> with these DNSBRIDGE__ variables set, as an operator overrides a file it keeps as it is.</summary>
    public static async Task<BridgeProcess> StartAsync(string configPath, int proxyPort, int adminPort, bool readOutput, (string Name, string Value)[] environment, params string[] extraArgs)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "dnsbridge.dll"), "serve", "--config", configPath, "--log-format", "text" }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = new BridgeProcess(Process.Start(info)!, proxyPort, adminPort, readOutput);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !process._process.HasExited)
        {
            try
            {
                if ((await client.GetAsync(new Uri(process.AdminUri, "/healthz"))).IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var output = process.Output;
        await process.DisposeAsync();
        throw new InvalidOperationException($"dnsbridge did not start:\n{output}");
    }

    /// <summary>
    /// Writes the plainest config into <paramref name="directory"/> (one cutover of <paramref name="host"/> to
    /// <paramref name="target"/> over http, no DNS polling, SQLite state beside it, free loopback ports) and starts <c>serve</c> with it.
    /// </summary>
    public static async Task<BridgeProcess> StartOneCutoverAsync(string directory, TestUpstream target, string host)
    {
        int proxyPort = FreePort(), adminPort = FreePort();
        var config = Path.Combine(directory, "dnsbridge.json");
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { host }, Target = new { target.Address, target.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Propagation = new { Enabled = false },
                State = new { Path = Path.Combine(directory, "state.db") },
            },
        }));
        return await StartAsync(config, proxyPort, adminPort);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM, as a container runtime does, and returns the exit code (null if it did not exit in time).</summary>
    public async Task<int?> TerminateAsync(TimeSpan wait)
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
