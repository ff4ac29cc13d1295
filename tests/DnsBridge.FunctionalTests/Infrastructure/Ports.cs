using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// Free loopback ports for configs written before their listener starts. A probe on port 0 is not enough: the kernel
/// may hand the same ephemeral port to two probes in a row (CI once got one port for Listen:Proxy and Listen:Admin), and
/// any listener or outgoing connection of a test running meanwhile may take it before the process under test binds it.
/// So ports come from below the kernel's ephemeral range, where nothing is assigned automatically, each at most once per
/// test process, and only after a bind shows it free.
/// </summary>
public static class Ports
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly (int First, int Last) Range = FixedRange();
    private static int _next = Range.First + Random.Shared.Next(Range.Last - Range.First);

    /// <summary>A TCP port free on <paramref name="address"/> (127.0.0.1 by default); with <paramref name="udpToo"/> free for UDP as well.</summary>
    public static int Free(IPAddress? address = null, bool udpToo = false)
    {
        address ??= IPAddress.Loopback;
        lock (HandedOut)
        {
            for (var attempt = 0; attempt <= Range.Last - Range.First; attempt++)
            {
                var port = _next;
                _next = port == Range.Last ? Range.First : port + 1;
                if (!HandedOut.Contains(port) && Bindable(address, port, SocketType.Stream, ProtocolType.Tcp)
                    && (!udpToo || Bindable(address, port, SocketType.Dgram, ProtocolType.Udp)))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free port left on {address} in {Range.First}-{Range.Last}");
    }

    private static bool Bindable(IPAddress address, int port, SocketType type, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, type, protocol);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>10000 up to the first ephemeral port (32768 by default on Linux).</summary>
    private static (int First, int Last) FixedRange()
    {
        var firstEphemeral = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            firstEphemeral = int.Parse(text[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }

        if (firstEphemeral <= 11000)
        {
            throw new InvalidOperationException(
                $"the kernel's ephemeral ports start at {firstEphemeral}: the tests need 10000-10999 outside them (sysctl net.ipv4.ip_local_port_range)");
        }

        return (10000, firstEphemeral - 1);
    }
}
