using System.Net;

namespace DnsBridge.Configuration.Validation;

/// <summary>Lists of IP addresses or networks, which several sections share; each bad item is reported at its index.</summary>
internal static class AddressListValidator
{
    /// <returns>The addresses that parsed, for cross-checks such as a target that is also a source.</returns>
    public static HashSet<IPAddress> Addresses(IReadOnlyList<string> values, string path, Action<string, string> error)
    {
        var set = new HashSet<IPAddress>();
        for (var i = 0; i < values.Count; i++)
        {
            if (IPAddress.TryParse(values[i], out var ip))
            {
                set.Add(ip);
            }
            else
            {
                error($"{path}:{i}", $"must be an IP address, got '{values[i]}'");
            }
        }

        return set;
    }

    public static void Cidrs(IReadOnlyList<string> values, string path, Action<string, string> error)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!ConfigParsers.TryParseCidr(values[i], out _))
            {
                error($"{path}:{i}", $"must be an IP address or CIDR (10.0.0.0/8), got '{values[i]}'");
            }
        }
    }
}
