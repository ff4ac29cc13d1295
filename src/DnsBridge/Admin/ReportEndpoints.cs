using DnsBridge.Configuration;
using DnsBridge.Residual;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// Reports and exports of the admin API: the wave report of every cutover, and who still calls a cutover's source. Under <c>/api</c>, so
/// <see cref="AdminAuthentication"/> asks for the token like for the rest of the API.
/// </summary>
internal static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/report", async (string? format, HttpContext context, WaveReport wave, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            var rows = await StateThreads.Run(wave.Rows);
            switch ((format ?? "md").ToLowerInvariant())
            {
                case "md" or "markdown":
                    return Results.Content(CutoverReport.ToMarkdown(WaveReport.Document(rows), now), "text/markdown; charset=utf-8");
                case "html":
                    return Results.Content(CutoverReport.ToHtml(WaveReport.Document(rows), now), "text/html; charset=utf-8");
                case "csv":
                    Attachment(context, $"dnsbridge-wave-report-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.csv");
                    return Results.Content(WaveReport.ToCsv(rows), "text/csv; charset=utf-8");
                default:
                    return TypedResults.BadRequest(new ApiError($"unknown format '{format}': use md, html or csv"));
            }
        });
        endpoints.MapGet("/api/cutovers/{name}/clients.csv", (string name, HttpContext context, ConfigMonitor config, ResidualAccounting residual) =>
        {
            if (config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) is not { } cutover)
            {
                return ApiEndpoints.NotFound(name);
            }

            residual.TryGet(cutover.Name, out var counter);
            Attachment(context, $"{cutover.Name}-clients.csv");
            return Results.Content(ClientsCsv.Of(counter), "text/csv; charset=utf-8");
        });
        return endpoints;
    }

    private static void Attachment(HttpContext context, string fileName) =>
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
}
