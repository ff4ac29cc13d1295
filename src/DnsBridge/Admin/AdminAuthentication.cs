using System.Security.Cryptography;
using System.Text;
using DnsBridge.Configuration;

namespace DnsBridge.Admin;

/// <summary>
/// With <c>Listen:AdminToken</c> set, the API and /metrics answer only requests carrying
/// <c>Authorization: Bearer TOKEN</c>. Liveness, readiness and the page's static files stay open: probes carry no
/// token, and the page holds no data (its script sends the token it was given in the URL fragment). A request that
/// may change something (any method but GET and HEAD) is never anonymous: it needs the token wherever it goes, and
/// without a token configured it is refused, <c>Listen:AllowAnonymousAdmin</c> or not.
/// </summary>
internal static class AdminAuthentication
{
    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app)
    {
        var config = app.ApplicationServices.GetRequiredService<ConfigMonitor>();
        return app.Use((context, next) =>
        {
            // Read per request: a token rotated in the config file applies without a restart.
            var token = config.Current.Listen.AdminToken;
            var change = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
            if (change && token is null)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return context.Response.WriteAsync("403 Forbidden: changes through the admin listener require Listen:AdminToken, and none is configured\n");
            }

            if (token is null || (!change && !IsProtected(context.Request.Path)) || Presented(context.Request, token))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"dnsbridge\"";
            return context.Response.WriteAsync("401 Unauthorized: this admin listener requires Authorization: Bearer <Listen:AdminToken>\n");
        });
    }

    private static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    private static bool Presented(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Constant time, so the token cannot be guessed byte by byte from response timings.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
