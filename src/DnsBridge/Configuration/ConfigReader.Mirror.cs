using System.Globalization;

namespace DnsBridge.Configuration;

public sealed partial class ConfigReader
{
    private static readonly Scalar<double> Fraction =
        new(raw => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null, "a decimal number (for example 0.1)");

    private MirrorConfig ReadMirror(IConfigurationSection s)
    {
        CheckKeys(s, "Share", "Methods", "MaxBodyBytes", "MaxConcurrency", "Amplify", "IgnoreJsonPaths", "NoiseShare");
        var d = new MirrorConfig();
        return new MirrorConfig
        {
            Share = Read(s, "Share", Fraction) ?? d.Share,
            Methods = Exists(s.GetSection("Methods")) ? [.. ReadStrings(s.GetSection("Methods")).Select(m => m.ToUpperInvariant())] : d.Methods,
            MaxBodyBytes = Read(s, "MaxBodyBytes", Int) ?? d.MaxBodyBytes,
            MaxConcurrency = Read(s, "MaxConcurrency", Int) ?? d.MaxConcurrency,
            Amplify = Read(s, "Amplify", Int) ?? d.Amplify,
            IgnoreJsonPaths = ReadStrings(s.GetSection("IgnoreJsonPaths")),
            NoiseShare = Read(s, "NoiseShare", Fraction) ?? d.NoiseShare,
        };
    }
}
