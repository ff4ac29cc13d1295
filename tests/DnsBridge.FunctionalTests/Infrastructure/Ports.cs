using System.Net;
using System.Net.Sockets;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// Free loopback ports for configs written before a listener starts. The kernel may hand the same ephemeral port to two
/// probes in a row once the first is closed (CI once got one port for Listen:Proxy and Listen:Admin), so every port is
/// handed out at most once per test process.
/// </summary>
public static class Ports
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A TCP port free on <paramref name="address"/> (127.0.0.1 by default); with <paramref name="udpToo"/> free for UDP as well.</summary>
    public static int Free(IPAddress? address = null, bool udpToo = false)
    {
        address ??= IPAddress.Loopback;
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            int port;
            using (var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                tcp.Bind(new IPEndPoint(address, 0));
                port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                if (udpToo && !UdpFree(address, port))
                {
                    continue;
                }
            }

            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no port on {address} that was not handed out already");
    }

    private static bool UdpFree(IPAddress address, int port)
    {
        try
        {
            using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
