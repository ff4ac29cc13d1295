using System.Net;
using System.Text.RegularExpressions;

namespace DnsBridge.Configuration.Validation;

/// <summary>
/// The cutover list: names and hosts are checked across cutovers (a host belongs to exactly one), the rest per
/// cutover. Host names come back normalised.
/// </summary>
internal static partial class CutoverValidator
{
    public static List<CutoverConfig> Validate(IReadOnlyList<CutoverConfig> cutovers, string path, string baseDirectory, Action<string, string> error)
    {
        if (cutovers.Count == 0)
        {
            error(path, "at least one cutover is required (nothing would be forwarded)");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hostOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<CutoverConfig>(cutovers.Count);
        for (var i = 0; i < cutovers.Count; i++)
        {
            result.Add(Cutover(cutovers[i], $"{path}:{i}", baseDirectory, names, hostOwners, error));
        }

        return result;
    }

    private static CutoverConfig Cutover(
        CutoverConfig c, string path, string baseDirectory, HashSet<string> names,
        Dictionary<string, string> hostOwners, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(c.Name))
        {
            error($"{path}:{nameof(CutoverConfig.Name)}", "is required");
        }
        else if (!NamePattern().IsMatch(c.Name))
        {
            error($"{path}:{nameof(CutoverConfig.Name)}", $"must be 1-63 characters of a-z, 0-9, '-', '_' or '.', got '{c.Name}'");
        }
        else if (!names.Add(c.Name))
        {
            error($"{path}:{nameof(CutoverConfig.Name)}", $"duplicate cutover name '{c.Name}'");
        }

        var target = TargetValidator.Validate(c.Target, $"{path}:{nameof(CutoverConfig.Target)}", baseDirectory, error);

        // HTTP listeners route by Host and the passthrough listener by SNI: a name may be in one cutover of each
        // (different listeners), never in two that the same listener routes by. tcp cutovers route by port only.
        var hosts = Hosts(c.Hosts, $"{path}:{nameof(CutoverConfig.Hosts)}", c.Target.Scheme == TargetConfig.SchemeTcp ? null : hostOwners, c.Target.IsPassthrough ? "tls:" : "", error);

        var sources = AddressListValidator.Addresses(c.SourceAddresses, $"{path}:{nameof(CutoverConfig.SourceAddresses)}", error);
        if (IPAddress.TryParse(target.Address, out var targetIp) && sources.Contains(targetIp))
        {
            error($"{path}:{nameof(CutoverConfig.Target)}:{nameof(TargetConfig.Address)}", $"{target.Address} is also listed in SourceAddresses: forwarding there would loop back to the source");
        }

        var dns = DnsValidator.Validate(c.Dns, $"{path}:{nameof(CutoverConfig.Dns)}", target.Address, error);
        DrainValidator.Validate(c.Drain, $"{path}:{nameof(CutoverConfig.Drain)}", error);
        MirrorValidator.Validate(c.Mirror, $"{path}:{nameof(CutoverConfig.Mirror)}", error);
        var sourceBackend = PhaseValidator.Validate(c, target, path, baseDirectory, error);
        return c with { Hosts = hosts, Target = target, Dns = dns, SourceBackend = sourceBackend };
    }

    private static List<string> Hosts(IReadOnlyList<string> raw, string path, Dictionary<string, string>? hostOwners, string listener, Action<string, string> error)
    {
        var hosts = new List<string>(raw.Count);
        if (raw.Count == 0)
        {
            error(path, "at least one host name is required");
        }

        for (var h = 0; h < raw.Count; h++)
        {
            var hostPath = $"{path}:{h}";
            if (!ConfigParsers.TryNormalizeHostName(raw[h], out var host, out var why))
            {
                error(hostPath, why);
                continue;
            }

            if (hostOwners is not null && hostOwners.TryGetValue(listener + host, out var owner))
            {
                error(hostPath, $"host '{host}' is already listed at {owner}: a host belongs to exactly one cutover per listener kind (HTTP, passthrough)");
                continue;
            }

            if (hostOwners is not null)
            {
                hostOwners[listener + host] = hostPath;
            }

            hosts.Add(host);
        }

        return hosts;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
