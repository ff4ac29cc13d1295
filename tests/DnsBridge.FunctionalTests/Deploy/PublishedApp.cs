using System.Diagnostics;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// The container's build step run once per test class: deploy/container/publish.sh (the Native AOT compile takes
/// minutes on two cores, so the tests share one output). Runs the binary the way the image's ENTRYPOINT does.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(20);

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-publish").FullName;

    public string Output => Path.Combine(_dir, "app");

    public string Executable => Path.Combine(Output, "dnsbridge");

    /// <summary>How long the publish took (the AOT compile dominates; worth knowing against the CI budget).</summary>
    public TimeSpan PublishTime { get; private set; }

    public string TempPath(string name) => Path.Combine(_dir, name);

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = await RunAsync(PublishTimeout, "bash", Repo.PathOf("deploy", "container", "publish.sh"), Output);
        PublishTime = clock.Elapsed;
        Assert.True(code == 0, stdout + stderr);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Runs the published binary to its end (bounded): exit code, standard output and error apart.</summary>
    public Task<(int Code, string Out, string Err)> RunAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, Executable, args);

    private static async Task<(int Code, string Out, string Err)> RunAsync(TimeSpan timeout, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', args)} did not end within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
