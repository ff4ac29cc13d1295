using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Demo;

/// <summary>
/// A minimal DNS server for the demo (UDP, A records only), so <c>dnsbridge demo</c> runs on any machine with no
/// dnsmasq and no internet. Each instance plays one resolver whose answer flips from the source to the target
/// address at a time of the scenario; the monitor queries it with the same DnsClient code as real resolvers.
/// </summary>
internal sealed class DemoDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<string, (IPAddress[] Addresses, int Ttl)?> _answer;

    public DemoDnsServer(IPAddress address, Func<string, (IPAddress[] Addresses, int Ttl)?> answer)
    {
        _answer = answer;
        _udp = new UdpClient(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)_udp.Client.LocalEndPoint!;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (Respond(received.Buffer) is { } response)
            {
                try
                {
                    await _udp.SendAsync(response, received.RemoteEndPoint, _stop.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>Builds the response to one query, or null for packets that are not a single well-formed question.</summary>
    internal byte[]? Respond(ReadOnlySpan<byte> query)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1 || (query[2] & 0x80) != 0)
        {
            return null;
        }

        var labels = new List<string>();
        var offset = 12;
        while (true)
        {
            if (offset >= query.Length)
            {
                return null;
            }

            var length = query[offset++];
            if (length == 0)
            {
                break;
            }

            if (length > 63 || offset + length > query.Length)
            {
                return null;
            }

            labels.Add(System.Text.Encoding.ASCII.GetString(query.Slice(offset, length)).ToLowerInvariant());
            offset += length;
        }

        if (offset + 4 > query.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query[offset..]);
        var questionEnd = offset + 4;
        var name = string.Join('.', labels);
        var found = _answer(name);
        var answers = found is { } f && type == 1 ? f.Addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToArray() : [];

        var response = new byte[questionEnd + (answers.Length * 16)];
        query[..questionEnd].CopyTo(response);
        response[2] = (byte)(0x84 | (query[2] & 0x01)); // QR, AA, copy RD
        response[3] = (byte)(found is null ? 0x03 : 0x00); // NXDOMAIN for names we do not serve
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)answers.Length);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(10), 0);
        var at = questionEnd;
        foreach (var address in answers)
        {
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(at), 0xC00C); // pointer to the question name
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(at + 2), 1);
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(at + 4), 1);
            BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(at + 6), found!.Value.Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(at + 10), 4);
            address.TryWriteBytes(response.AsSpan(at + 12), out _);
            at += 16;
        }

        return response;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }
}
