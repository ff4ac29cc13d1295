using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;
using YamlDotNet.Serialization;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>The Prometheus alert rules and the Alertmanager config, checked by their own tools.</summary>
public sealed class AlertRulesTests
{
    [Fact]
    public async Task Promtool_accepts_the_rules()
    {
        var (code, output) = await Repo.RunAsync("promtool", Repo.PathOf("deploy", "prometheus"), "check", "rules", "rules.yml");
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS: 11 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rule_unit_tests_pass()
    {
        var (code, output) = await Repo.RunAsync("promtool", Repo.PathOf("deploy", "prometheus"), "test", "rules", "tests/rules.test.yml");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Alertmanager_accepts_its_config_and_routes_the_drain_alert()
    {
        var (code, output) = await Repo.RunAsync("amtool", Repo.PathOf("deploy", "alertmanager"), "check-config", "alertmanager.yml");
        Assert.True(code == 0, output);

        (code, output) = await Repo.RunAsync("amtool", Repo.PathOf("deploy", "alertmanager"), "config", "routes", "test", "--config.file=alertmanager.yml", "alertname=DrainComplete", "cutover=shop");
        Assert.True(code == 0, output);
        Assert.Contains("migration-team", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_use_only_contract_metrics_and_name_every_required_alert()
    {
        var text = File.ReadAllText(Repo.PathOf("deploy", "prometheus", "rules.yml"));
        Assert.All(Repo.MetricsIn(text), m => Assert.Contains(m, Repo.ContractMetrics));
        foreach (var alert in new[] { "DrainComplete", "DrainRegressed", "PropagationStalled", "TargetErrors", "DnsBridgeDown", "TargetCertificateUnvalidated", "StateStoreFailing", "AuthoritativeServersDisagree", "AuthoritativeServersSilent", "AlertsUndelivered", "DnsBridgeNoClusterLeader" })
        {
            Assert.Contains($"alert: {alert}", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_kubernetes_PrometheusRule_holds_the_same_rules()
    {
        var yaml = new DeserializerBuilder().Build();
        var plain = yaml.Deserialize<Dictionary<string, object>>(File.ReadAllText(Repo.PathOf("deploy", "prometheus", "rules.yml")));
        var operatorForm = yaml.Deserialize<Dictionary<string, object>>(File.ReadAllText(Repo.PathOf("deploy", "kubernetes", "prometheusrule.yaml")));
        var spec = (Dictionary<object, object>)operatorForm["spec"];

        Assert.Equal(JsonSerializer.Serialize(plain["groups"]), JsonSerializer.Serialize(spec["groups"]));
    }
}
