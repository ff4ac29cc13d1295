using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (its driver ships inside the NuGet package; no browser is downloaded), for
/// pages that must be clicked, typed into and checked with axe-core. <see cref="Chromium"/> stays for a plain DOM dump.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A new tab (its own session storage) that fails the test on a script error.</summary>
    public async Task<IPage> OpenAsync(Uri url, List<string>? errors = null)
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
        page.SetDefaultTimeout(15_000);
        page.PageError += (_, message) => errors?.Add(message);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors?.Add(message.Text);
            }
        };
        await page.GotoAsync(url.ToString());
        return page;
    }

    /// <summary>Where the screenshots go: TestResults/screenshots at the repository root, next to the TRX files.</summary>
    public static string ScreenshotPath(string name)
    {
        var directory = Repo.PathOf("TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    /// <summary>axe-core's findings at serious or critical impact, one line each (empty: none).</summary>
    public static async Task<IReadOnlyList<string>> SeriousAccessibilityViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        return [.. result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}")];
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
