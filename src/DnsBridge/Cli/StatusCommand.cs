using System.CommandLine;
using Spectre.Console;

namespace DnsBridge.Cli;

/// <summary>
/// <c>dnsbridge status --admin URL [--watch]</c>: the wave overview of a running instance in the terminal, for
/// operators on an SSH session (exit 0; 1 unreachable or an HTTP error; 2 usage). <c>--watch</c> refreshes every
/// 2 s until Ctrl-C and rides out a failed fetch (the instance may be restarting).
/// </summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        var admin = AdminApi.Option();
        var watch = new Option<bool>("--watch", "-w") { Description = "Refresh every 2 seconds until Ctrl-C." };

        // Bounds --watch for tests and scripts; hidden because an operator stops it with Ctrl-C.
        var watchCount = new Option<int?>("--watch-count") { Description = "Stop --watch after this many refreshes.", Hidden = true };
        var command = new Command("status", "The wave overview of a running instance: state, phase, propagation, stale caches, residual traffic and pending alerts per cutover.")
        {
            admin, watch, watchCount,
        };
        command.SetAction(async (parse, ct) =>
        {
            var uri = parse.GetValue(admin)!;
            using var api = new AdminApi(uri, environment(AdminApi.TokenVariable) is { Length: > 0 } t ? t : null);
            var terminal = stdout == Console.Out && !Console.IsOutputRedirected;
            if (!parse.GetValue(watch))
            {
                return await ShowAsync(api, uri, terminal, stdout, stderr, ct) ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var limit = parse.GetValue(watchCount);
            try
            {
                for (var shown = 1; ; shown++)
                {
                    if (terminal)
                    {
                        AnsiConsole.Clear();
                    }

                    await ShowAsync(api, uri, terminal, stdout, stderr, ct);
                    if (shown >= limit)
                    {
                        return ExitCodes.Ok;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                    if (!terminal)
                    {
                        await stdout.WriteLineAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static async Task<bool> ShowAsync(AdminApi api, Uri uri, bool terminal, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var (body, error) = await api.GetAsync("api/summary", "application/json", ct);
        if (error is not null)
        {
            await stderr.WriteLineAsync($"error: {error}");
            return false;
        }

        var now = DateTimeOffset.UtcNow;
        WaveStatus wave;
        try
        {
            wave = WaveStatus.Parse(body!, now);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            await stderr.WriteLineAsync($"error: {uri}api/summary did not answer DnsBridge's JSON ({e.Message}): is --admin the admin listener?");
            return false;
        }

        if (terminal)
        {
            AnsiConsole.MarkupLine(Markup.Escape(wave.Summary(uri, now)));
            AnsiConsole.Write(wave.ToTable());
        }
        else
        {
            await stdout.WriteLineAsync(wave.Summary(uri, now));
            await stdout.WriteAsync(wave.ToText());
        }

        return true;
    }
}
