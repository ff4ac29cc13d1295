namespace DnsBridge.Configuration.Validation;

internal static class ClusterValidator
{
    public static void Validate(ClusterConfig cluster, string path, Action<string, string> error)
    {
        // Shown in the API, in metrics-free log lines and as the application name of the lock session: a pod or host name.
        if (string.IsNullOrEmpty(cluster.ReplicaName) || cluster.ReplicaName.Length > 63
            || !cluster.ReplicaName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            error($"{path}:{nameof(ClusterConfig.ReplicaName)}", $"must be 1-63 letters, digits, '-', '_' or '.', got '{cluster.ReplicaName}'");
        }
    }
}
