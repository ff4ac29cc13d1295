using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Mirror;
using DnsBridge.Phases;
using DnsBridge.Preflight;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>The JSON API of the admin listener (the status page is built on it).</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapApiEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Views read the store (pending alerts, history): on a state thread, so a slow database holds no request thread.
        // The summary is what the wave overview and `dnsbridge status` poll: one light row per cutover.
        endpoints.MapGet("/api/summary", async (CutoverView view) => TypedResults.Ok(await StateThreads.Run(view.Summaries)));
        var api = endpoints.MapGroup("/api/cutovers");
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
        api.MapGet("/{name}/readiness", (string name, ConfigMonitor config, ClusterMirror mirrors) =>
            MirrorReadinessReport.For(name, config.Current, mirrors) is { } report ? TypedResults.Ok(report) : NotFound(name));

        // Authenticated by AdminAuthentication like every change: 403 without Listen:AdminToken configured, 401 without it presented.
        api.MapPost("/{name}/phase", async (string name, HttpContext context, PhaseController phases) =>
        {
            PhaseChangeRequest? request;
            try
            {
                request = await context.Request.ReadFromJsonAsync(AdminJsonContext.Default.PhaseChangeRequest, context.RequestAborted);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                return Results.BadRequest(new ApiError($"the body must be JSON {{\"phase\": \"rehearsal|frozen|switched|rolled_back\", \"force\": false}}: {e.Message}"));
            }

            if (!CutoverPhases.TryParse(request?.Phase, out var to))
            {
                return Results.BadRequest(new ApiError($"unknown phase '{request?.Phase}': one of {string.Join(", ", CutoverPhases.All.Select(p => p.Label()))}"));
            }

            var by = request!.By is null ? PhaseRequesters.Api : request.By.Trim().ToLowerInvariant();
            if (by is not (PhaseRequesters.Api or PhaseRequesters.Cli))
            {
                return Results.BadRequest(new ApiError($"unknown requester '{request.By}': cli or api"));
            }

            var result = await phases.ChangeAsync(name, to, by, request.Force);
            var document = new PhaseChangeDocument(name, result.From?.Label(), result.To?.Label(), result.Forced, result.Message, result.Failures,
                result.Outcome == PhaseChangeOutcome.Changed ? null : result.Message);
            return result.Outcome switch
            {
                PhaseChangeOutcome.Changed => Results.Ok(document),
                PhaseChangeOutcome.UnknownCutover => Results.NotFound(document),
                PhaseChangeOutcome.BadRequest => Results.BadRequest(document),
                PhaseChangeOutcome.Refused => Results.Conflict(document),
                _ => Results.Json(document, AdminJsonContext.Default.PhaseChangeDocument, statusCode: StatusCodes.Status503ServiceUnavailable),
            };
        });
        return endpoints;
    }

    internal static IResult NotFound(string name) => TypedResults.NotFound(new ApiError($"no cutover named '{name}'"));
}
