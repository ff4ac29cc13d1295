namespace DnsBridge.Configuration;

public sealed partial class ConfigReader
{
    private ClusterConfig ReadCluster(IConfigurationSection s)
    {
        CheckKeys(s, "ReplicaName");
        return new ClusterConfig { ReplicaName = String(s, "ReplicaName") ?? new ClusterConfig().ReplicaName };
    }
}
