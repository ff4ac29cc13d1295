using System.CommandLine;
using DnsBridge.Configuration;
using DnsBridge.Hosting;
using DnsBridge.Propagation.Preflight;
using Serilog.Events;

namespace DnsBridge.Cli;

/// <summary>The <c>dnsbridge</c> command line: verbs, options, exit codes.</summary>
internal static class DnsBridgeCommand
{
    private static readonly string[] Verbs = ["serve", "validate", "check", "preflight", "demo", "report", "status", "init", "health", "rehearse", "freeze", "switch", "rollback"];

    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout ?? Console.Out, stderr ?? Console.Error, Environment.GetEnvironmentVariable, cancellationToken);

    /// <param name="environment">Reads an environment variable (the admin token of report and status); tests pass their own.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        // Ours rather than the parser's: it names the commit too, and says so when the build had none.
        if (args is ["--version"])
        {
            await stdout.WriteLineAsync(VersionInfo.Line);
            return ExitCodes.Ok;
        }

        var root = Build(stdout, stderr, environment);

        // serve is the default verb: "dnsbridge --config x.json" serves.
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")))
        {
            args = ["serve", .. args];
        }

        if (!args[0].StartsWith('-') && !Verbs.Contains(args[0]))
        {
            await stderr.WriteLineAsync($"error: unknown verb '{args[0]}'; the verbs are {string.Join(", ", Verbs)} (serve when none is given)");
            await stderr.WriteLineAsync("Run 'dnsbridge --help' for usage.");
            return ExitCodes.Usage;
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }

            await stderr.WriteLineAsync($"Run 'dnsbridge {(Verbs.Contains(args[0]) ? args[0] + " " : "")}--help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }

    internal static RootCommand Build(TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var root = new RootCommand("DnsBridge: the safety net of a DNS cutover. Forwards residual traffic from the source to the target, "
            + "watches DNS propagation worldwide, and says exactly once when the source can be decommissioned.");
        root.Subcommands.Add(ServeCommand(stderr));
        root.Subcommands.Add(InitCommand.Create(stdout, stderr, () => stdout == Console.Out && !Console.IsInputRedirected && !Console.IsOutputRedirected));
        root.Subcommands.Add(ValidateCommand(stdout, stderr));
        root.Subcommands.Add(CheckCommand.Create(stdout, stderr));
        root.Subcommands.Add(PreflightCommand.Create(stdout, stderr, () => new PreflightDnsChecks(new Propagation.DnsQuerier())));
        root.Subcommands.Add(Demo.DemoCommand.Create(stdout, stderr));
        root.Subcommands.Add(ReportCommand.Create(stdout, stderr, environment));
        root.Subcommands.Add(StatusCommand.Create(stdout, stderr, environment));
        root.Subcommands.Add(HealthCommand.Create(stdout, stderr));
        foreach (var phase in PhaseCommand.Create(stdout, stderr, environment))
        {
            root.Subcommands.Add(phase);
        }
        return root;
    }

    internal static Option<string?> ConfigOption(bool required) => new("--config", "-c")
    {
        Description = "Configuration file (JSON, section DnsBridge); DNSBRIDGE__* environment variables override it.",
        Required = required,
    };

    private static Command ServeCommand(TextWriter stderr)
    {
        var config = ConfigOption(required: false);
        var logFormat = new Option<LogFormat>("--log-format") { Description = "json (default) or text.", DefaultValueFactory = _ => LogFormat.Json };
        var logLevel = new Option<LogEventLevel>("--log-level") { Description = "Verbose, Debug, Information (default), Warning, Error, Fatal.", DefaultValueFactory = _ => LogEventLevel.Information };
        var command = new Command("serve", "Run the forwarder, the propagation monitor, the drain detector and the admin listener (the default verb).")
        {
            config, logFormat, logLevel,
        };
        command.SetAction((parse, ct) => ServeAsync(parse.GetValue(config), parse.GetValue(logFormat), parse.GetValue(logLevel), stderr, ct));
        return command;
    }

    private static Command ValidateCommand(TextWriter stdout, TextWriter stderr)
    {
        var config = ConfigOption(required: true);
        var command = new Command("validate", "Check a configuration file and print every problem with its key path.") { config };
        command.SetAction(async (parse, _) =>
        {
            var file = parse.GetValue(config);
            var (loaded, errors) = ConfigLoader.Load(file);
            if (errors.Count > 0)
            {
                await PrintErrorsAsync(stderr, file, errors);
                return ExitCodes.Usage;
            }

            await stdout.WriteLineAsync($"{file}: valid, {loaded.Cutovers.Count} cutover(s), {loaded.Cutovers.Sum(c => c.Hosts.Count)} host(s)");
            foreach (var c in loaded.Cutovers)
            {
                await stdout.WriteLineAsync($"  {c.Name}: {string.Join(", ", c.Hosts)} -> {c.Target.Scheme}://{c.Target.Address}:{c.Target.Port}"
                    + (c.Target.AllowInvalidCertificate ? "  (WARNING: certificate not validated)" : ""));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static async Task PrintErrorsAsync(TextWriter stderr, string? file, IReadOnlyList<ConfigError> errors)
    {
        await stderr.WriteLineAsync(file is null
            ? $"configuration (no --config given: DNSBRIDGE__* environment variables only): {errors.Count} problem(s)"
            : $"{file}: {errors.Count} problem(s)");
        foreach (var error in errors)
        {
            await stderr.WriteLineAsync($"  {error}");
        }

        if (file is null)
        {
            await stderr.WriteLineAsync("  pass --config FILE (see config/dnsbridge.example.json), or try `dnsbridge demo` for a cutover on loopback");
        }
    }

    private static async Task<int> ServeAsync(string? file, LogFormat format, LogEventLevel level, TextWriter stderr, CancellationToken ct)
    {
        SocketTuning.PreferInlineCompletions();
        var (config, errors) = ConfigLoader.Load(file);
        if (errors.Count > 0)
        {
            await PrintErrorsAsync(stderr, file, errors);
            return ExitCodes.Usage;
        }

        WebApplication app;
        try
        {
            app = DnsBridgeApplication.Build(new ServeSettings { Config = config, Source = new ConfigSource(file), LogFormat = format, LogLevel = level });
        }
        catch (ConfigException e)
        {
            await PrintErrorsAsync(stderr, file, e.Errors);
            return ExitCodes.Usage;
        }
        catch (State.StateStoreException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        await using (app)
        {
            // Taken before the run: RunAsync disposes the host, and its services with it, when it returns.
            var background = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
            try
            {
                await app.RunAsync();

                // Every background loop catches its own failures; if one still ended the host, say so and exit non-zero
                // so that systemd or Kubernetes restarts the process instead of taking the stop for a clean one.
                if (background.FirstOrDefault(s => s.ExecuteTask?.IsFaulted == true) is { } failed)
                {
                    await stderr.WriteLineAsync($"error: {failed.GetType().Name} failed and stopped dnsbridge: {failed.ExecuteTask!.Exception?.GetBaseException().Message}");
                    return ExitCodes.Failed;
                }
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"error: cannot listen: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (ConfigException e)
            {
                await PrintErrorsAsync(stderr, file, e.Errors);
                return ExitCodes.Usage;
            }
        }

        return ExitCodes.Ok;
    }
}
