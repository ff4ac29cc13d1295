namespace DnsBridge.Configuration.Validation;

internal static class LimitsValidator
{
    public static void Validate(LimitsConfig l, string path, Action<string, string> error)
    {
        if (l.MaxConnections is < 1 or > 1_000_000)
        {
            error($"{path}:{nameof(LimitsConfig.MaxConnections)}", $"must be 1-1000000, got {l.MaxConnections}");
        }

        if (l.MaxRequestHeadersBytes is < 4096 or > 1024 * 1024)
        {
            error($"{path}:{nameof(LimitsConfig.MaxRequestHeadersBytes)}", $"must be 4096-1048576, got {l.MaxRequestHeadersBytes}");
        }

        if (l.RequestHeadersTimeout < TimeSpan.FromSeconds(1) || l.RequestHeadersTimeout > TimeSpan.FromMinutes(10))
        {
            error($"{path}:{nameof(LimitsConfig.RequestHeadersTimeout)}", "must be between 00:00:01 and 00:10:00");
        }

        if (l.KeepAliveTimeout < TimeSpan.FromSeconds(1) || l.KeepAliveTimeout > TimeSpan.FromHours(1))
        {
            error($"{path}:{nameof(LimitsConfig.KeepAliveTimeout)}", "must be between 00:00:01 and 01:00:00");
        }

        if (l.ShutdownTimeout < TimeSpan.FromSeconds(1) || l.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            error($"{path}:{nameof(LimitsConfig.ShutdownTimeout)}", "must be between 00:00:01 and 00:10:00");
        }
    }
}
