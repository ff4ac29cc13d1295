using DnsBridge.FunctionalTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>The deploy/ YAML: lint-clean, and structurally what a rollout needs (probes, graceful stop, one cluster-mode Deployment).</summary>
public sealed class KubernetesTests
{
    private static List<YamlMappingNode> Documents(string folder)
    {
        var docs = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(Repo.PathOf("deploy", folder), "*.yaml"))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            docs.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        return docs;
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is YamlSequenceNode seq && int.TryParse(key, out var i) ? seq[i] : ((YamlMappingNode)node)[key];
        }

        return node;
    }

    private static string S(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [Fact]
    public async Task Yamllint_passes_on_all_of_deploy()
    {
        var (code, output) = await Repo.RunAsync("yamllint", Repo.Root, "-c", "deploy/yamllint.yml", "--strict", "deploy/");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void One_deployment_of_three_equal_replicas_with_probes_graceful_stop_and_the_database_and_admin_token_from_secrets()
    {
        var deployment = Assert.Single(Documents("kubernetes"), d => S(d, "kind") == "Deployment");
        Assert.Equal("3", S(deployment, "spec", "replicas"));
        var pod = At(deployment, "spec", "template", "spec");
        var container = At(pod, "containers", "0");
        Assert.Equal("/readyz", S(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", S(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("admin", S(container, "readinessProbe", "httpGet", "port"));
        var ports = ((YamlSequenceNode)At(container, "ports")).ToDictionary(p => S(p, "name"), p => S(p, "containerPort"));
        Assert.Equal("8081", ports["admin"]);
        Assert.Equal("8080", ports["proxy"]);
        // The image has no shell: the kubelet's own sleep. The grace covers that pause, the 45 s of
        // Limits:ShutdownTimeout for requests in flight and still leaves room for the final flush.
        var preStop = int.Parse(S(container, "lifecycle", "preStop", "sleep", "seconds"), System.Globalization.CultureInfo.InvariantCulture);
        var grace = int.Parse(S(pod, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace >= preStop + 45 + 10, $"terminationGracePeriodSeconds {grace} leaves no room after {preStop} s of preStop and 45 s of shutdown");
        Assert.DoesNotContain(":latest", S(container, "image"), StringComparison.Ordinal);
        Assert.Contains(":", S(container, "image"), StringComparison.Ordinal);
        Assert.Equal("IfNotPresent", S(container, "imagePullPolicy"));

        var env = ((YamlSequenceNode)At(container, "env")).Cast<YamlMappingNode>().ToDictionary(e => S(e, "name"));
        Assert.Equal("http://0.0.0.0:8081", S(env["DNSBRIDGE__Listen__Admin"], "value"));
        Assert.Equal("postgres", S(env["DNSBRIDGE__State__Provider"], "value"));
        Assert.Equal("metadata.name", S(env["DNSBRIDGE__Cluster__ReplicaName"], "valueFrom", "fieldRef", "fieldPath"));
        var secret = At(env["DNSBRIDGE__State__ConnectionString"], "valueFrom", "secretKeyRef");
        Assert.NotEmpty(S(secret, "name"));
        Assert.NotEmpty(S(secret, "key"));

        // The admin listener is on 0.0.0.0, so DnsBridge starts only with a token: from a Secret, never a literal.
        Assert.Equal("dnsbridge-admin", S(env["DNSBRIDGE__Listen__AdminToken"], "valueFrom", "secretKeyRef", "name"));
        Assert.Equal("token", S(env["DNSBRIDGE__Listen__AdminToken"], "valueFrom", "secretKeyRef", "key"));
        Assert.False(env["DNSBRIDGE__Listen__AdminToken"].Children.ContainsKey("value"));
        Assert.DoesNotContain("DNSBRIDGE__Listen__AllowAnonymousAdmin", env.Keys);

        // No replica is special any more, and no connection string or password sits in a manifest.
        Assert.DoesNotContain("DNSBRIDGE__Propagation__Enabled", env.Keys);
        Assert.False(env["DNSBRIDGE__State__ConnectionString"].Children.ContainsKey("value"));
        foreach (var file in Directory.GetFiles(Repo.PathOf("deploy", "kubernetes"), "*.yaml"))
        {
            var uncommented = string.Join('\n', File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith('#')));
            Assert.DoesNotContain("Password=", uncommented, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Services_and_the_service_monitor_point_at_ports_that_exist_and_it_scrapes_with_the_admin_token()
    {
        var docs = Documents("kubernetes");
        foreach (var service in docs.Where(d => S(d, "kind") == "Service"))
        {
            Assert.All((YamlSequenceNode)At(service, "spec", "ports"), p => Assert.Contains(S(p, "targetPort"), new[] { "proxy", "admin" }));
        }

        var monitor = Assert.Single(docs, d => S(d, "kind") == "ServiceMonitor");
        Assert.Equal("/metrics", S(monitor, "spec", "endpoints", "0", "path"));

        // /metrics needs the admin token: Prometheus sends the Deployment's.
        var deployment = Assert.Single(docs, d => S(d, "kind") == "Deployment");
        var token = ((YamlSequenceNode)At(deployment, "spec", "template", "spec", "containers", "0", "env")).Single(e => S(e, "name") == "DNSBRIDGE__Listen__AdminToken");
        Assert.Equal("Bearer", S(monitor, "spec", "endpoints", "0", "authorization", "type"));
        Assert.Equal(S(token, "valueFrom", "secretKeyRef", "name"), S(monitor, "spec", "endpoints", "0", "authorization", "credentials", "name"));
        Assert.Equal(S(token, "valueFrom", "secretKeyRef", "key"), S(monitor, "spec", "endpoints", "0", "authorization", "credentials", "key"));
        Assert.Single(docs, d => S(d, "kind") == "PodDisruptionBudget");
        Assert.Single(docs, d => S(d, "kind") == "ConfigMap");
    }

    [Fact]
    public void The_compose_stack_has_postgres_dnsbridge_prometheus_alertmanager_and_grafana_and_the_admin_token_from_the_environment()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Repo.PathOf("deploy", "compose", "docker-compose.yml"))));
        var services = (YamlMappingNode)At(stream.Documents[0].RootNode, "services");
        Assert.Equal(["postgres", "dnsbridge", "prometheus", "alertmanager", "grafana"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.StartsWith("postgres:15", S(services, "postgres", "image"), StringComparison.Ordinal);
        Assert.NotNull(At(services, "postgres", "healthcheck", "test"));
        Assert.Equal("service_healthy", S(services, "dnsbridge", "depends_on", "postgres", "condition"));
        var dnsbridge = (YamlMappingNode)At(services, "dnsbridge", "environment");
        Assert.Equal("postgres", S(dnsbridge, "DNSBRIDGE__State__Provider"));

        // The admin token is a required variable (compose refuses to start without it), and Prometheus scrapes with
        // the same variable, mounted as a secret file where the shipped scrape config reads it.
        Assert.Matches(@"^\$\{DNSBRIDGE_ADMIN_TOKEN:\?.+\}$", S(dnsbridge, "DNSBRIDGE__Listen__AdminToken"));
        Assert.False(dnsbridge.Children.ContainsKey("DNSBRIDGE__Listen__AllowAnonymousAdmin"));
        Assert.Equal("dnsbridge_admin_token", ((YamlScalarNode)((YamlSequenceNode)At(services, "prometheus", "secrets"))[0]).Value);
        Assert.Equal("DNSBRIDGE_ADMIN_TOKEN", S(stream.Documents[0].RootNode, "secrets", "dnsbridge_admin_token", "environment"));
        var prometheus = new YamlStream();
        prometheus.Load(new StringReader(File.ReadAllText(Repo.PathOf("deploy", "prometheus", "prometheus.yml"))));
        var job = ((YamlSequenceNode)At(prometheus.Documents[0].RootNode, "scrape_configs")).Single(j => S(j, "job_name") == "dnsbridge");
        Assert.Equal("Bearer", S(job, "authorization", "type"));
        Assert.Equal("/run/secrets/dnsbridge_admin_token", S(job, "authorization", "credentials_file"));

        foreach (var mount in ((YamlSequenceNode)At(services, "prometheus", "volumes")).Select(v => ((YamlScalarNode)v).Value!.Split(':')[0]).Where(v => v.StartsWith('.')))
        {
            Assert.True(File.Exists(Path.GetFullPath(mount, Repo.PathOf("deploy", "compose"))), mount);
        }
    }
}
