using System.CommandLine;
using System.Net.Http.Headers;
using DnsBridge.Escaping;

namespace DnsBridge.Cli;

/// <summary>
/// The admin API of a running instance, as <c>report</c> and <c>status</c> read it: the base URL from <c>--admin</c>,
/// the token from <c>DNSBRIDGE_ADMIN_TOKEN</c> (an environment variable, so it never shows in <c>ps</c> or shell
/// history), and failures as one line that names the URL.
/// </summary>
internal sealed class AdminApi(Uri baseUri, string? token) : IDisposable
{
    public const string TokenVariable = "DNSBRIDGE_ADMIN_TOKEN";

    private readonly HttpClient _http = new() { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };

    public static Option<Uri> Option() => new("--admin")
    {
        Description = $"Base URL of a running instance's admin listener, e.g. http://127.0.0.1:8081 (token from {TokenVariable}).",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (Uri.TryCreate(text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                return new Uri(uri.GetLeftPart(UriPartial.Authority) + uri.AbsolutePath.TrimEnd('/') + "/");
            }

            result.AddError($"--admin: '{text}' is not an http(s) URL");
            return null;
        },
    };

    /// <summary>The body of a GET, or the one-line error to print (exit 1): unreachable, timed out, or the HTTP status.</summary>
    public async Task<(string? Body, string? Error)> GetAsync(string path, string? accept, CancellationToken ct)
    {
        var url = new Uri(_http.BaseAddress!, path);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        try
        {
            using var response = await _http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return (body, null);
            }

            var hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized
                ? token is null ? $" (the listener wants a token: set {TokenVariable})" : $" (check {TokenVariable}: it does not match Listen:AdminToken)"
                : "";
            var said = body.Split('\n', 2)[0].Trim();
            // The reason phrase and the body's first line are the server's words, printed to a terminal.
            return (null, Untrusted.Escape($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}{(said.Length > 0 ? ": " + said : "")}"));
        }
        catch (HttpRequestException e)
        {
            return (null, $"cannot reach the admin API at {url}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"cannot reach the admin API at {url}: no answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// POSTs a JSON body; the status code and body come back whatever the status (the caller maps them to exit codes),
    /// or the one-line error to print when the instance did not answer.
    /// </summary>
    public async Task<(int Status, string Body, string? Error)> PostJsonAsync(string path, string json, CancellationToken ct)
    {
        var url = new Uri(_http.BaseAddress!, path);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var response = await _http.SendAsync(request, ct);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct), null);
        }
        catch (HttpRequestException e)
        {
            return (0, "", $"cannot reach the admin API at {url}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (0, "", $"cannot reach the admin API at {url}: no answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose() => _http.Dispose();
}
