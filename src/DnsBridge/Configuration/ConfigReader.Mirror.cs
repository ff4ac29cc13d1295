using System.Globalization;

namespace DnsBridge.Configuration;

internal sealed partial class ConfigReader
{
    private static readonly Scalar<double> Fraction =
        new(raw => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null, "a decimal number (for example 0.1)");

    private MirrorConfig ReadMirror(Section s)
    {
        var d = new MirrorConfig();
        return new MirrorConfig
        {
            Share = s.Read(nameof(d.Share), Fraction) ?? d.Share,
            Methods = s.Has(nameof(d.Methods)) ? [.. s.Strings(nameof(d.Methods)).Select(m => m.ToUpperInvariant())] : d.Methods,
            MaxBodyBytes = s.Read(nameof(d.MaxBodyBytes), Int) ?? d.MaxBodyBytes,
            MaxConcurrency = s.Read(nameof(d.MaxConcurrency), Int) ?? d.MaxConcurrency,
            Amplify = s.Read(nameof(d.Amplify), Int) ?? d.Amplify,
            IgnoreJsonPaths = s.Strings(nameof(d.IgnoreJsonPaths)),
            NoiseShare = s.Read(nameof(d.NoiseShare), Fraction) ?? d.NoiseShare,
        };
    }
}
