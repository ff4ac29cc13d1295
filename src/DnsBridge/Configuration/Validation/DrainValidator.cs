namespace DnsBridge.Configuration.Validation;

internal static class DrainValidator
{
    public static void Validate(DrainConfig drain, string path, Action<string, string> error)
    {
        if (drain.QuietPeriod <= TimeSpan.Zero)
        {
            error($"{path}:{nameof(DrainConfig.QuietPeriod)}", "must be longer than 00:00:00");
        }

        if (drain.Threshold < 0)
        {
            error($"{path}:{nameof(DrainConfig.Threshold)}", $"must be 0 or more, got {drain.Threshold}");
        }

        if (drain.IdleNudge <= TimeSpan.Zero)
        {
            error($"{path}:{nameof(DrainConfig.IdleNudge)}", "must be longer than 00:00:00");
        }

        var exclude = drain.Exclude;
        for (var p = 0; p < exclude.Paths.Count; p++)
        {
            if (!exclude.Paths[p].StartsWith('/'))
            {
                error($"{path}:{nameof(DrainConfig.Exclude)}:{nameof(ExcludeConfig.Paths)}:{p}", $"must start with '/', got '{exclude.Paths[p]}'");
            }
        }

        for (var u = 0; u < exclude.UserAgents.Count; u++)
        {
            if (string.IsNullOrEmpty(exclude.UserAgents[u]))
            {
                error($"{path}:{nameof(DrainConfig.Exclude)}:{nameof(ExcludeConfig.UserAgents)}:{u}", "must not be empty");
            }
        }

        AddressListValidator.Cidrs(exclude.ClientCidrs, $"{path}:{nameof(DrainConfig.Exclude)}:{nameof(ExcludeConfig.ClientCidrs)}", error);
    }
}
