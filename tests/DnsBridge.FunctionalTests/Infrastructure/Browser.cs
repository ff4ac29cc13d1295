using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (its driver ships inside the NuGet package; no browser is downloaded), for
/// pages that must be clicked, typed into and checked with axe-core. <see cref="Chromium"/> stays for a plain DOM dump.
/// </summary>
internal sealed class Browser : IAsyncDisposable
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

    /// <summary>
    /// How long any page action or wait may take. Generous because it costs nothing when the page is quick: the status
    /// pages poll the API every 5 s and Chromium shares 2 cores with the suite's bridges, so a loaded CI machine can
    /// take well over 15 s for a first render of 50 cutovers.
    /// </summary>
    public const float Timeout = 60_000;

    /// <summary>
    /// A new tab (its own session storage) that fails the test on a script error; <paramref name="prepare"/> runs before
    /// the page loads (routes, init scripts).
    /// </summary>
    public async Task<IPage> OpenAsync(Uri url, List<string>? errors = null, Func<IPage, Task>? prepare = null)
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
        page.SetDefaultTimeout(Timeout);
        page.SetDefaultNavigationTimeout(Timeout);
        page.PageError += (_, message) => errors?.Add(message);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors?.Add(message.Text);
            }
        };
        if (prepare is not null)
        {
            await prepare(page);
        }

        await page.GotoAsync(url.ToString());
        return page;
    }

    /// <summary>
    /// Waits for a concrete DOM condition (never for network idle: the status pages poll the API for ever); on timeout
    /// the failure says what the page showed instead.
    /// </summary>
    public static async Task WaitForAsync(IPage page, string selector)
    {
        try
        {
            await page.WaitForSelectorAsync(selector);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{selector} did not appear on {page.Url} within {Timeout / 1000} s; the page showed:\n{await ShownAsync(page)}", e);
        }
    }

    /// <summary>Waits until <paramref name="selector"/> matches exactly <paramref name="count"/> elements.</summary>
    public static async Task WaitForCountAsync(IPage page, string selector, int count)
    {
        try
        {
            object[] argument = [selector, count];
            await page.WaitForFunctionAsync("([s, n]) => document.querySelectorAll(s).length === n", argument);
        }
        catch (TimeoutException e)
        {
            var seen = await page.Locator(selector).CountAsync();
            throw new TimeoutException($"{selector} matched {seen}, not {count}, on {page.Url} within {Timeout / 1000} s; the page showed:\n{await ShownAsync(page)}", e);
        }
    }

    private static async Task<string> ShownAsync(IPage page)
    {
        var text = await page.EvaluateAsync<string>("document.body ? document.body.innerText : document.documentElement.outerHTML");
        return text.Length > 3000 ? text[..3000] + " …" : text;
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
