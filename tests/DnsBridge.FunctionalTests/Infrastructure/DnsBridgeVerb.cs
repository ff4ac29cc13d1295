using System.Diagnostics;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A <c>dnsbridge</c> verb as a child process with only the given DNSBRIDGE__ variables: nothing is set in this test
/// process (its tests run in parallel), and an inherited DNSBRIDGE__ variable must not decide the outcome.
/// </summary>
internal static class DnsBridgeVerb
{
    public static async Task<(int Code, string Output)> RunAsync(string workingDirectory, (string Name, string Value)[] environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "dnsbridge.dll") }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DNSBRIDGE__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
