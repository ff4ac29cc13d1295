using DnsBridge.Listeners;
using Prometheus;

namespace DnsBridge.Admin;

/// <summary>The admin listener's endpoints: metrics, liveness, readiness (the API and status page join here).</summary>
internal static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/metrics", async (HttpContext context, CollectorRegistry registry) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });

        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));
        endpoints.MapApiEndpoints();
        endpoints.MapClusterEndpoints();
        endpoints.MapReportEndpoints();
        endpoints.MapHistoryEndpoints();
        endpoints.MapStatusPage();

        endpoints.MapGet("/readyz", (ListenerEndpoints ports, IEnumerable<IReadinessCheck> checks) =>
        {
            var problems = new List<string>();
            if (!ports.Started)
            {
                problems.Add("listeners: not started");
            }

            foreach (var check in checks)
            {
                if (check.Problem() is { } problem)
                {
                    problems.Add($"{check.Name}: {problem}");
                }
            }

            return problems.Count == 0
                ? Results.Text("ready\n")
                : Results.Text(string.Join('\n', problems) + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });

        return endpoints;
    }
}
