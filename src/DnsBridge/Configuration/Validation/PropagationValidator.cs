namespace DnsBridge.Configuration.Validation;

internal static class PropagationValidator
{
    public static void Validate(PropagationConfig p, string path, Action<string, string> error)
    {
        if (p.Interval < TimeSpan.FromSeconds(1))
        {
            error($"{path}:Interval", "must be at least 00:00:01");
        }

        if (p.Timeout <= TimeSpan.Zero)
        {
            error($"{path}:Timeout", "must be longer than 00:00:00");
        }
        else if (p.Timeout >= p.Interval)
        {
            error($"{path}:Timeout", $"must be shorter than Propagation:Interval ({p.Interval:c})");
        }

        if (p.Concurrency is < 1 or > 1024)
        {
            error($"{path}:Concurrency", $"must be 1-1024, got {p.Concurrency}");
        }
    }
}
