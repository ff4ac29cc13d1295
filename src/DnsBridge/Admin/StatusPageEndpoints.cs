namespace DnsBridge.Admin;

/// <summary>
/// The status page: static files embedded in the binary (no CDN: data centres often have no internet), which
/// render the JSON API and refresh it every few seconds. <c>/</c> is the wave overview, <c>/cutovers/{name}</c> one
/// cutover's page (the same file for every name: its script reads the name from the path). It carries no secret and no
/// inline script; the charts are SVG drawn by <c>charts.js</c> over <c>world.svg</c> (Natural Earth land, ~45 KB).
/// </summary>
internal static class StatusPageEndpoints
{
    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/cutovers/{name}", "cutover.html", "text/html; charset=utf-8"),
        ("/status.css", "status.css", "text/css; charset=utf-8"),
        ("/status.js", "status.js", "text/javascript; charset=utf-8"),
        ("/overview.js", "overview.js", "text/javascript; charset=utf-8"),
        ("/cutover.js", "cutover.js", "text/javascript; charset=utf-8"),
        ("/charts.js", "charts.js", "text/javascript; charset=utf-8"),
        ("/world.svg", "world.svg", "image/svg+xml"),
    ];

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var bytes = Load(resource);
            endpoints.MapGet(path, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                return Results.Bytes(bytes, contentType);
            });
        }

        return endpoints;
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(StatusPageEndpoints).Assembly.GetManifestResourceStream($"DnsBridge.StatusPage.{name}")
            ?? throw new InvalidOperationException($"embedded status page file {name} missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
