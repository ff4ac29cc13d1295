namespace DnsBridge.Configuration;

internal sealed partial class ConfigReader
{
    private ClusterConfig ReadCluster(Section s)
    {
        var d = new ClusterConfig();
        return new ClusterConfig { ReplicaName = s.String(nameof(d.ReplicaName)) ?? d.ReplicaName };
    }
}
