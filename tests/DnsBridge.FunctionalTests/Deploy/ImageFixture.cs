using System.Diagnostics;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// The image built from the Dockerfile with podman, once per test class: stand-ins for the two Microsoft base images
/// first (tests/setup/stand-in-base-images.sh; the registry cannot be reached here), then <c>podman build</c> of the
/// repository. Everything podman keeps (images, layers, volumes, containers) lives in a temp directory of its own,
/// configured through CONTAINERS_CONF and CONTAINERS_STORAGE_CONF, and goes with it; runc, since crun fails on this
/// machine's cgroups.
/// </summary>
public sealed class ImageFixture : IAsyncLifetime
{
    public const string Image = "localhost/dnsbridge:test";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(25);

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-image").FullName;

    public TimeSpan BasesTime { get; private set; }

    public TimeSpan BuildTime { get; private set; }

    public string TempPath(string name) => Path.Combine(_dir, name);

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(TempPath("containers.conf"), """
            [containers]
            default_ulimits = ["nofile=16384:16384", "nproc=32768:32768"]
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        await File.WriteAllTextAsync(TempPath("storage.conf"), $"""
            [storage]
            driver = "overlay"
            graphroot = "{TempPath("storage")}"
            runroot = "{TempPath("run")}"
            """);

        var clock = Stopwatch.StartNew();
        var (code, output) = await RunAsync(BuildTimeout, Repo.PathOf("tests", "setup", "stand-in-base-images.sh"));
        Assert.True(code == 0, "stand-in base images: " + output);
        BasesTime = clock.Elapsed;

        // --format docker keeps the HEALTHCHECK (the OCI format has no field for it); --network host lets the build's
        // apt-get and NuGet restore reach the same registries as this machine.
        clock.Restart();
        (code, output) = await PodmanAsync(BuildTimeout, "build", "--format", "docker", "--network", "host", "--runtime", "runc", "-t", Image, Repo.Root);
        Assert.True(code == 0, "podman build: " + output);
        BuildTime = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        // Containers of a failed test may still run; their mounts must go before the storage can.
        await PodmanAsync(TimeSpan.FromMinutes(2), "rm", "--all", "--force", "--time", "0");
        await PodmanAsync(TimeSpan.FromMinutes(2), "system", "reset", "--force");
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover overlay mount of a killed container: the temp directory is cleaned with the machine.
        }
    }

    public Task<(int Code, string Output)> PodmanAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, "podman", args);

    /// <summary>Starts <c>podman</c> without waiting (a container in the foreground, a stop that takes its time).</summary>
    public Process StartPodman(params string[] args)
    {
        var info = Info("podman", args);
        var process = Process.Start(info)!;
        return process;
    }

    private async Task<(int Code, string Output)> RunAsync(TimeSpan timeout, string file, params string[] args)
    {
        using var process = Process.Start(Info(file, args))!;
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

        return (process.ExitCode, await stdout + await stderr);
    }

    private ProcessStartInfo Info(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CONTAINERS_CONF"] = TempPath("containers.conf");
        info.Environment["CONTAINERS_STORAGE_CONF"] = TempPath("storage.conf");
        info.Environment["TMPDIR"] = _dir;
        return info;
    }
}
