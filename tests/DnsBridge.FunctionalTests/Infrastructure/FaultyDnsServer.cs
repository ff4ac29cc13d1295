using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DnsBridge.Demo;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// In-process DNS servers for the faults a real server will not produce on demand: silence, garbage bytes,
/// truncated UDP with no TCP behind it, a wrong transaction id, SERVFAIL/REFUSED, a very slow answer, hostile names.
/// </summary>
internal sealed class FaultyDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Fault _fault;
    private readonly DemoDnsServer _answers;
    private readonly IPAddress _address;

    public enum Fault
    {
        Silent,
        Garbage,
        Truncated,
        WrongId,
        ServFail,
        Refused,
        Slow,

        /// <summary>A real answer with random bytes flipped, cut short or extended (the id kept, so it is parsed).</summary>
        Mutated,

        /// <summary>
        /// A well-formed answer through a CNAME whose target is <see cref="HostileTarget"/> (a label with an escape
        /// sequence, one with a dot, one with UTF-8 and a space), and an NSID with an escape sequence.
        /// </summary>
        HostileNames,
    }

    private readonly Random _random = new(20261125);

    /// <param name="bind">where to listen (null: 127.0.0.1 and a free port)</param>
    public FaultyDnsServer(Fault fault, string address = "127.0.0.2", IPEndPoint? bind = null)
    {
        _udp = new UdpClient(bind ?? new IPEndPoint(IPAddress.Loopback, 0));
        _fault = fault;
        _address = IPAddress.Parse(address);
        // Only used to build well-formed answers, which each fault then spoils.
        _answers = new DemoDnsServer(IPAddress.Loopback, _ => ([IPAddress.Parse(address)], 60));
        EndPoint = (IPEndPoint)_udp.Client.LocalEndPoint!;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var response = _answers.Respond(query.Buffer);
            if (response is null)
            {
                continue;
            }

            switch (_fault)
            {
                case Fault.Silent:
                    continue;
                case Fault.Garbage:
                    response = [query.Buffer[0], query.Buffer[1], .. Enumerable.Range(0, 40).Select(i => (byte)(i * 37))];
                    break;
                case Fault.Truncated:
                    response[2] |= 0x02;
                    break;
                case Fault.WrongId:
                    response[0] ^= 0xFF;
                    break;
                case Fault.ServFail:
                    response[3] = (byte)((response[3] & 0xF0) | 2);
                    break;
                case Fault.Refused:
                    response[3] = (byte)((response[3] & 0xF0) | 5);
                    break;
                case Fault.Mutated:
                    response = Mutate(response);
                    break;
                case Fault.HostileNames:
                    response = Hostile(query.Buffer);
                    break;
                case Fault.Slow:
                    _ = Task.Delay(TimeSpan.FromSeconds(10), _stop.Token).ContinueWith(_ => _udp.SendAsync(response, query.RemoteEndPoint), TaskScheduler.Default);
                    continue;
            }

            try
            {
                await _udp.SendAsync(response, query.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }
    }

    /// <summary>The CNAME target of <see cref="Fault.HostileNames"/>, label by label as on the wire.</summary>
    public static readonly byte[][] HostileTarget = [[0x1b, .. "[31mRed"u8], [.. "a.b"u8], [(byte)'x', 0xC3, 0xA9, (byte)' '], [.. "example"u8], [.. "test"u8]];

    private byte[] Hostile(byte[] query)
    {
        var end = 12;
        while (query[end] != 0)
        {
            end += 1 + query[end];
        }

        end += 5;
        byte[] target = [.. HostileTarget.SelectMany(l => new[] { (byte)l.Length }.Concat(l)), 0];
        byte[] header = [query[0], query[1], 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 1];
        byte[] nsid = [0x1b, .. "]0;pwned"u8, 0x07];
        return [.. header, .. query[12..end],
            0xC0, 12, .. Fixed(5, target.Length), .. target,
            .. target, .. Fixed(1, 4), .. _address.GetAddressBytes(),
            0, .. Fixed(41, 4 + nsid.Length, @class: 1232, ttl: 0), 0, 3, 0, (byte)nsid.Length, .. nsid];
    }

    private static byte[] Fixed(ushort type, int length, ushort @class = 1, uint ttl = 60)
    {
        var bytes = new byte[10];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, type);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), @class);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), ttl);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(8), (ushort)length);
        return bytes;
    }

    private byte[] Mutate(byte[] response)
    {
        var bytes = response.ToList();
        for (var n = _random.Next(1, 6); n > 0; n--)
        {
            switch (_random.Next(4))
            {
                case 0 when bytes.Count > 2:
                    bytes[_random.Next(2, bytes.Count)] = (byte)_random.Next(256);
                    break;
                case 1 when bytes.Count > 3:
                    bytes.RemoveRange(_random.Next(3, bytes.Count), bytes.Count - _random.Next(3, bytes.Count) > 0 ? 1 : 0);
                    bytes = bytes.Take(_random.Next(2, bytes.Count + 1)).ToList();
                    break;
                case 2:
                    bytes.AddRange(Enumerable.Range(0, _random.Next(1, 64)).Select(_ => (byte)_random.Next(256)));
                    break;
                default:
                    // Counts in the header claiming more records than there are.
                    if (bytes.Count > 11)
                    {
                        bytes[_random.Next(4, 12)] = (byte)_random.Next(256);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        await _loop;
        await _answers.DisposeAsync();
        _stop.Dispose();
    }
}
