using System.CommandLine;
using System.Net;
using DnsBridge.Configuration;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge health [--config FILE]</c>: asks <c>/healthz</c> of the instance that the same configuration (file and
/// <c>DNSBRIDGE__</c> environment) runs, on its admin listener, so a container health check follows a moved admin
/// port and needs no shell or curl in the image. Exit 0 healthy; 1 not (unreachable, timed out, not 200); 2 when the
/// admin listener cannot be told from the configuration.
/// </summary>
internal static class HealthCommand
{
    /// <summary>Below the image's HEALTHCHECK --timeout, so the verb reports the cause before the engine kills it.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = DnsBridgeCommand.ConfigOption(required: false);
        var command = new Command("health", "Ask /healthz of the running instance on the admin listener its configuration names (the container health check).") { config };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            var (url, error) = HealthUrl(file);
            if (error is not null)
            {
                await DnsBridgeCommand.PrintErrorsAsync(stderr, file, [error]);
                return ExitCodes.Usage;
            }

            // No proxy: an HTTP(S)_PROXY in the container's environment must not carry a loopback request away.
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = RequestTimeout };
            try
            {
                using var response = await http.GetAsync(url, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await stdout.WriteLineAsync($"healthy: {url}");
                    return ExitCodes.Ok;
                }

                await stderr.WriteLineAsync($"unhealthy: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (HttpRequestException e)
            {
                await stderr.WriteLineAsync($"unhealthy: {url}: {e.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"unhealthy: {url}: no answer within {RequestTimeout.TotalSeconds:0} s");
            }

            return ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>
    /// The /healthz URL of the admin listener as <c>serve</c> would bind it; a wildcard address (0.0.0.0, [::]) is
    /// asked on loopback. Only Listen:Admin is read: an edit elsewhere that the running instance refused must not
    /// make a healthy instance look broken.
    /// </summary>
    internal static (Uri? Url, ConfigError? Error) HealthUrl(string? file)
    {
        if (file is not null && !File.Exists(file))
        {
            return (null, new ConfigError("--config", $"file not found: {Path.GetFullPath(file)}"));
        }

        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddDnsBridgeSources(file, watch: false).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            return (null, new ConfigError(file ?? "--config", $"not valid JSON: {e.InnerException?.Message ?? e.Message}"));
        }

        const string key = $"{DnsBridgeConfig.SectionName}:Listen:Admin";
        var admin = configuration[key] is { Length: > 0 } given ? given : new ListenConfig().Admin;
        if (!ConfigParsers.TryParseListenUrl(admin, out var endpoint, out var why))
        {
            return (null, new ConfigError(key, why));
        }

        if (endpoint!.Port == 0)
        {
            return (null, new ConfigError(key, "port 0 (any free port) cannot be asked for its health: name the port"));
        }

        var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        return (new Uri($"http://{new IPEndPoint(address, endpoint.Port)}/healthz"), null);
    }
}
