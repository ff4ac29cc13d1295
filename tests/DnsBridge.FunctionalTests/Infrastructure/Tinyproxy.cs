using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real tinyproxy on its own 127.x.y.z: the egress HTTP proxy of a site that lets only HTTPS out. It allows CONNECT
/// to one port only, and logs every request so a test can see what went through it.
/// </summary>
internal sealed class Tinyproxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Tinyproxy(Process process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Url => $"http://{EndPoint}";

    public static async Task<Tinyproxy> StartAsync(int connectPort)
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-tinyproxy").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var address = new IPAddress([127, (byte)Random.Shared.Next(60, 250), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
            int port;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                probe.Bind(new IPEndPoint(address, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            await File.WriteAllTextAsync(Path.Combine(directory, "tinyproxy.conf"), $"""
                Port {port}
                Listen {address}
                Timeout 30
                MaxClients 20
                Allow 127.0.0.0/8
                ConnectPort {connectPort}
                LogFile "{directory}/tinyproxy.log"
                LogLevel Connect

                """);
            var info = new ProcessStartInfo("/usr/bin/tinyproxy") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-d", "-c", Path.Combine(directory, "tinyproxy.conf") })
            {
                info.ArgumentList.Add(arg);
            }

            var proxy = new Tinyproxy(Process.Start(info)!, directory, new IPEndPoint(address, port));
            if (await proxy.ListensAsync())
            {
                return proxy;
            }

            var error = proxy._process.HasExited ? await proxy._process.StandardError.ReadToEndAsync() : "not listening";
            await ServerProcess.StopAsync(proxy._process);
            if (attempt == 3)
            {
                Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException($"tinyproxy did not start: {error}");
            }
        }
    }

    /// <summary>What it logged so far: one <c>Request ...: CONNECT HOST:PORT</c> line per tunnel.</summary>
    public async Task<string> LogAsync()
    {
        var path = Path.Combine(_directory, "tinyproxy.log");
        return File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
    }

    private async Task<bool> ListensAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(EndPoint);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    /// <summary>Stops it (the proxy going away); safe to call again.</summary>
    public async ValueTask DisposeAsync()
    {
        await ServerProcess.StopAsync(_process);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
