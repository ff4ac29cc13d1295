using DnsBridge.Configuration;
using DnsBridge.Mirror;
using DnsBridge.Preflight;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>The JSON API of the admin listener (the status page is built on it).</summary>
public static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapApiEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/cutovers");
        // Views read the store (pending alerts, history): on a state thread, so a slow database holds no request thread.
        api.MapGet("/", async (CutoverView view) => TypedResults.Ok(await StateThreads.Run(view.All)));
        api.MapGet("/{name}", async (string name, CutoverView view) =>
            await StateThreads.Run(() => view.Get(name)) is { } cutover ? TypedResults.Ok(cutover) : NotFound(name));
        api.MapGet("/{name}/report", async (string name, HttpContext context, CutoverReport reports, TimeProvider time) =>
        {
            if (await StateThreads.Run(() => reports.Build(name)) is not { } report)
            {
                return NotFound(name);
            }

            var html = context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
            return html
                ? Results.Content(CutoverReport.ToHtml(report, time.GetUtcNow()), "text/html; charset=utf-8")
                : Results.Content(CutoverReport.ToMarkdown(report, time.GetUtcNow()), "text/markdown; charset=utf-8");
        });
        api.MapGet("/{name}/preflight", async (string name, ConfigMonitor config, PreflightRunner runner, CancellationToken ct) =>
        {
            var cutover = config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
            if (cutover is null)
            {
                return NotFound(name);
            }

            var report = await runner.RunAsync(config.Current, [cutover.Name], includeLocal: false, ct);
            return Results.Content(PreflightFormatter.ToJson(report), "application/json; charset=utf-8");
        });
        api.MapGet("/{name}/readiness", (string name, ConfigMonitor config, MirrorRegistry mirrors) =>
            MirrorReadinessReport.For(name, config.Current, mirrors) is { } report ? TypedResults.Ok(report) : NotFound(name));
        return endpoints;
    }

    internal static IResult NotFound(string name) => TypedResults.NotFound(new ApiError($"no cutover named '{name}'"));
}
