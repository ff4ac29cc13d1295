using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Propagation.Wire;

/// <summary>An EDNS client subnet to ask "as if from" (RFC 7871): the network of a CIDR, sent with its host bits cleared.</summary>
internal sealed record ClientSubnet(IPAddress Address, byte PrefixLength)
{
    public ushort Family => Address.AddressFamily == AddressFamily.InterNetworkV6 ? (ushort)2 : (ushort)1;

    public static bool TryParse(string value, out ClientSubnet subnet)
    {
        subnet = null!;
        if (!IPNetwork.TryParse(value.Trim(), out var network) && !TryParseLoose(value.Trim(), out network))
        {
            return false;
        }

        subnet = new ClientSubnet(network.BaseAddress, (byte)network.PrefixLength);
        return true;
    }

    /// <summary>
    /// IPNetwork.TryParse refuses host bits (198.51.100.7/24); an operator copying a client's address means its
    /// network, which is what goes on the wire anyway.
    /// </summary>
    private static bool TryParseLoose(string value, out IPNetwork network)
    {
        network = default;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
        {
            return false;
        }

        var bytes = Mask(address.GetAddressBytes(), prefix);
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    /// <summary>ADDRESS as RFC 7871 §6 wants it: ceil(prefix/8) octets, bits beyond the prefix zero.</summary>
    public byte[] MaskedAddressBytes() => Mask(Address.GetAddressBytes(), PrefixLength)[..((PrefixLength + 7) / 8)];

    private static byte[] Mask(byte[] bytes, int prefix)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return bytes;
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}
