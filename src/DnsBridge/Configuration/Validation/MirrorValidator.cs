namespace DnsBridge.Configuration.Validation;

internal static class MirrorValidator
{
    public const int MaxBodyBytesLimit = 64 * 1024 * 1024;
    public const int MaxConcurrencyLimit = 10_000;

    private static readonly string[] Tokens = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE"];

    public static void Validate(MirrorConfig mirror, string path, Action<string, string> error)
    {
        if (mirror.Share is < 0 or > 1)
        {
            error($"{path}:{nameof(MirrorConfig.Share)}", $"must be between 0 and 1 (0 turns mirroring off), got {mirror.Share.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (mirror.NoiseShare is < 0 or > 1)
        {
            error($"{path}:{nameof(MirrorConfig.NoiseShare)}", $"must be between 0 and 1, got {mirror.NoiseShare.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (mirror.Methods.Count == 0)
        {
            error($"{path}:{nameof(MirrorConfig.Methods)}", "must list at least one method (set Share to 0 to turn mirroring off)");
        }

        for (var m = 0; m < mirror.Methods.Count; m++)
        {
            if (!Tokens.Contains(mirror.Methods[m], StringComparer.Ordinal))
            {
                error($"{path}:{nameof(MirrorConfig.Methods)}:{m}", $"must be one of {string.Join(", ", Tokens)}, got '{mirror.Methods[m]}'");
            }
        }

        if (mirror.MaxBodyBytes is < 0 or > MaxBodyBytesLimit)
        {
            error($"{path}:{nameof(MirrorConfig.MaxBodyBytes)}", $"must be between 0 (no body comparison) and {MaxBodyBytesLimit}, got {mirror.MaxBodyBytes}");
        }

        if (mirror.MaxConcurrency is < 1 or > MaxConcurrencyLimit)
        {
            error($"{path}:{nameof(MirrorConfig.MaxConcurrency)}", $"must be between 1 and {MaxConcurrencyLimit}, got {mirror.MaxConcurrency}");
        }

        if (mirror.Amplify is < 1 or > MirrorConfig.MaxAmplify)
        {
            error($"{path}:{nameof(MirrorConfig.Amplify)}", $"must be between 1 and {MirrorConfig.MaxAmplify}, got {mirror.Amplify}");
        }

        for (var p = 0; p < mirror.IgnoreJsonPaths.Count; p++)
        {
            if (!JsonFieldPath.TryParse(mirror.IgnoreJsonPaths[p], out _, out var why))
            {
                error($"{path}:{nameof(MirrorConfig.IgnoreJsonPaths)}:{p}", why);
            }
        }
    }
}
