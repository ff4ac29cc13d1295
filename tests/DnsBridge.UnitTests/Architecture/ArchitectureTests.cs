using System.Reflection;
using DnsBridge.Drain;
using NetArchTest.Rules;

namespace DnsBridge.UnitTests.Architecture;

/// <summary>
/// docs/architecture.md's "what may call what", enforced on the compiled assembly: the request path and DNS feed
/// Drain, Drain feeds Alerts and State, Admin reads them, storage knows no policy, configuration knows no feature.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly DnsBridge = typeof(DrainStateMachine).Assembly;

    private static readonly string[] Features =
    [
        "Forwarding", "Residual", "Propagation", "Drain", "Alerts", "State", "Cluster", "Admin", "Preflight", "Listeners", "Events", "Cli", "Hosting", "Demo", "Connections", "Phases", "Mirror",
    ];

    public static TheoryData<string, string[]> Rules() => new()
    {
        // folder, folders it must not depend on
        { "State", ["Phases", "Mirror", "Cluster", "Connections", "Drain", "Forwarding", "Residual", "Propagation", "Alerts", "Admin", "Preflight", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Cluster", ["Connections", "Drain", "Forwarding", "Residual", "Propagation", "Alerts", "Admin", "Preflight", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Drain", ["Phases", "Connections", "Forwarding", "Admin", "Alerts", "Listeners", "Hosting", "Cli", "Demo", "Preflight"] },
        { "Configuration", Features },
        { "Events", [.. Features.Where(f => f != "Events")] },
        { "Escaping", Features },
        { "Propagation", ["Phases", "Connections", "Forwarding", "Residual", "Drain", "Alerts", "Admin", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Forwarding", ["Connections", "Propagation", "Admin", "Alerts", "State", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Residual", ["Cluster", "Connections", "Forwarding", "Propagation", "Drain", "Alerts", "Admin", "Preflight", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Alerts", ["Connections", "Drain", "Forwarding", "Residual", "Propagation", "Admin", "Listeners", "Hosting", "Cli", "Demo"] },
        { "Admin", ["Hosting", "Cli", "Demo"] },
        { "Preflight", ["Drain", "Admin", "Alerts", "Hosting", "Cli", "Demo"] },

        // The phase controller keeps phases in the store and feeds the request path's board; it reads DNS (the
        // automatic switch) and the mirror's readiness (the gate), never the request path, the operator surface or Drain
        // (Drain reads phases through Events' ICutoverPhases, so neither depends on the other).
        { "Phases", ["Connections", "Forwarding", "Residual", "Drain", "Alerts", "Admin", "Listeners", "Hosting", "Cli", "Demo", "Preflight"] },

        // The mirror copies and compares, nothing else: Forwarding hands it the captured exchange and the target's
        // invoker, Admin and the switch gate read its results. It never reaches the request path's routing, the
        // residual accounting (copies are not residual traffic) or the DNS side; the store only for its own results
        // (each replica's, kept across restarts, as Residual keeps its totals).
        { "Mirror", ["Connections", "Forwarding", "Residual", "Propagation", "Drain", "Alerts", "Cluster", "Admin", "Preflight", "Phases", "Listeners", "Hosting", "Cli", "Demo"] },

        // Connection forwarding is one more request path: it feeds Residual and reuses Forwarding's route matching
        // and nudge switches, and like Forwarding it never reaches the DNS side, the store or the operator surface.
        { "Connections", ["Cluster", "Propagation", "Drain", "Admin", "Alerts", "State", "Listeners", "Preflight", "Hosting", "Cli", "Demo"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_folder_depends_only_on_what_it_may(string folder, string[] forbidden)
    {
        var result = Types.InAssembly(DnsBridge).That().ResideInNamespace($"DnsBridge.{folder}")
            .ShouldNot().HaveDependencyOnAny([.. forbidden.Select(f => $"DnsBridge.{f}")])
            .GetResult();
        Assert.True(result.IsSuccessful, $"{folder} must not depend on {string.Join(", ", forbidden)}; offending types: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Residual_accounting_knows_no_HTTP_types()
    {
        var result = Types.InAssembly(DnsBridge).That().ResideInNamespace("DnsBridge.Residual")
            .ShouldNot().HaveDependencyOnAny("Microsoft.AspNetCore.Http", "Yarp")
            .GetResult();
        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void The_drain_state_machine_is_pure()
    {
        var result = Types.InAssembly(DnsBridge).That().HaveName(nameof(DrainStateMachine))
            .ShouldNot().HaveDependencyOnAny("DnsBridge.State", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Logging", "System.IO", "System.Net.Sockets", "Prometheus")
            .GetResult();
        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }

    /// <summary>The rules above would pass vacuously if the namespaces were wrong: a dependency that exists must be seen.</summary>
    [Fact]
    public void The_checker_sees_the_dependencies_that_exist()
    {
        var forwardingOnResidual = Types.InAssembly(DnsBridge).That().ResideInNamespace("DnsBridge.Forwarding")
            .ShouldNot().HaveDependencyOn("DnsBridge.Residual").GetResult();
        Assert.False(forwardingOnResidual.IsSuccessful);
        Assert.Contains("DnsBridge.Forwarding.ProxyMiddleware", forwardingOnResidual.FailingTypeNames);

        foreach (var folder in Rules().Select(r => (string)r[0]))
        {
            Assert.NotEmpty(Types.InAssembly(DnsBridge).That().ResideInNamespace($"DnsBridge.{folder}").GetTypes());
        }
    }
}
