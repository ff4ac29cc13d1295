using System.Globalization;
using Microsoft.Playwright;

namespace DnsBridge.Benchmarks;

/// <summary>
/// The wave overview page in Debian's Chromium, as an operator keeps it open on cutover day (issue 28): how long after
/// the navigation the first frame with every row is drawn (median of several fresh tabs), then the CPU that all of
/// Chromium's processes use while one tab stays open and refreshes itself every 5 s, beside what they use as long with a
/// blank tab (the browser's own share). Run by tests/bench/wave-scale.sh
/// (--browser) against a running instance.
/// </summary>
internal static class OverviewBenchmark
{
    private const string ChromiumPath = "/usr/bin/chromium";

    // Runs in the page before its own scripts: the time of the first animation frame in which the table holds the
    // expected rows. A frame callback runs just before the frame is painted, so this is the first paint of the table.
    private const string FirstFrameWithRows = """
        rows => {
          window.__tableDrawnAt = null;
          const check = () => {
            const body = document.querySelector("#wave tbody");
            if (body && body.rows.length >= rows) { window.__tableDrawnAt = performance.now(); return; }
            requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        }
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
            .ToDictionary(p => p.a[2..], p => p.i + 1 < args.Length ? args[p.i + 1] : "", StringComparer.Ordinal);
        if (!options.TryGetValue("url", out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var page)
            || !int.TryParse(options.GetValueOrDefault("rows", "0"), CultureInfo.InvariantCulture, out var rows) || rows <= 0)
        {
            await Console.Error.WriteLineAsync("usage: overview --url http://127.0.0.1:PORT/ --rows N [--loads 3] [--seconds 60]");
            return 2;
        }

        var loads = int.Parse(options.GetValueOrDefault("loads", "3"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(options.GetValueOrDefault("seconds", "60"), CultureInfo.InvariantCulture);
        if (!File.Exists(ChromiumPath))
        {
            await Console.Error.WriteLineAsync($"{ChromiumPath} is missing (apt-get install chromium)");
            return 2;
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update"],
        });

        var drawn = new List<double>();
        for (var i = 0; i < loads; i++)
        {
            await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
            var tab = await OpenAsync(context, page, rows);
            drawn.Add(await tab.EvaluateAsync<double>("() => window.__tableDrawnAt"));
        }

        // What Chromium costs with a blank tab for as long, in the same run: the browser's own share, not the page's.
        await using var blank = await browser.NewContextAsync();
        var idle = await blank.NewPageAsync();
        await idle.GotoAsync("about:blank");
        var idleShare = await CpuShareAsync(seconds);
        await idle.CloseAsync();

        await using var kept = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
        var open = await OpenAsync(kept, page, rows);
        var refreshesBefore = await Refreshes(open);
        var share = await CpuShareAsync(seconds);
        var refreshes = await Refreshes(open) - refreshesBefore;
        drawn.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overview of {rows} rows: first frame with the table {drawn[drawn.Count / 2]:F0} ms after navigation (median of {loads}, {drawn[0]:F0}-{drawn[^1]:F0}); " +
            $"Chromium CPU with the tab open {seconds} s ({refreshes} refreshes): {share:F1} % of one core (a blank tab instead: {idleShare:F1} %)"));
        return 0;
    }

    /// <summary>The share of one core all of Chromium's processes use over the next <paramref name="seconds"/>.</summary>
    private static async Task<double> CpuShareAsync(int seconds)
    {
        var before = ChromiumCpu();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var after = ChromiumCpu();

        // A process that started during the window counts whole; one that ended is lost (the tab's renderer does not end).
        var used = after.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Value - before.GetValueOrDefault(p.Key));
        return used.TotalMilliseconds / clock.Elapsed.TotalMilliseconds * 100;
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, Uri url, int rows)
    {
        var tab = await context.NewPageAsync();
        tab.SetDefaultTimeout(60_000);
        var errors = new List<string>();
        tab.PageError += (_, message) => errors.Add(message);
        await tab.AddInitScriptAsync($"({FirstFrameWithRows})({rows})");
        await tab.GotoAsync(url.ToString());
        await tab.WaitForFunctionAsync("() => window.__tableDrawnAt !== null");
        return errors.Count == 0 ? tab : throw new InvalidOperationException($"the page failed: {string.Join("; ", errors)}");
    }

    private static async Task<int> Refreshes(IPage tab) =>
        int.Parse(await tab.EvaluateAsync<string>("() => document.getElementById('overview').dataset.refreshes ?? '0'"), CultureInfo.InvariantCulture);

    /// <summary>User + system CPU so far of every Chromium process, by process id (from /proc; clock ticks are 1/100 s on Linux).</summary>
    private static Dictionary<int, TimeSpan> ChromiumCpu()
    {
        var cpu = new Dictionary<int, TimeSpan>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (!File.ResolveLinkTarget(Path.Combine(directory, "exe"), returnFinalTarget: true)?.FullName.Contains("chromium", StringComparison.Ordinal) ?? true)
                {
                    continue;
                }

                // Fields after the command name, which may hold spaces: state is field 3, utime 14 and stime 15.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                cpu[pid] = TimeSpan.FromMilliseconds(ticks * 10);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours.
            }
        }

        return cpu;
    }
}
