using System.Diagnostics;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>Debian's headless Chromium, run against a page on loopback: the DOM after scripts ran, the console, a screenshot.</summary>
internal static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static async Task<(string Dom, string Log)> DumpDomAsync(Uri url, int virtualTimeMs, string? screenshot = null)
    {
        var profile = Directory.CreateTempSubdirectory("dnsbridge-chromium").FullName;
        try
        {
            var info = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                $"--virtual-time-budget={virtualTimeMs}", "--window-size=1300,1600",
                screenshot is null ? "--dump-dom" : $"--screenshot={screenshot}",
                url.ToString(),
            })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var dom = process.StandardOutput.ReadToEndAsync();
            var log = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish");
            }

            return (await dom, await log);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
