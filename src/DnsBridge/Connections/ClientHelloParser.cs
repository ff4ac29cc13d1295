using System.Buffers.Binary;

namespace DnsBridge.Connections;

/// <summary>What the bytes read so far say about a TLS ClientHello.</summary>
internal enum ClientHelloStatus
{
    /// <summary>Not complete yet: read more (the caller enforces the byte cap and the deadline).</summary>
    NeedMore,

    /// <summary>A complete ClientHello with one valid host name in <c>server_name</c>.</summary>
    ServerName,

    /// <summary>A complete ClientHello without SNI (or an SSLv2-compatible hello, which cannot carry one).</summary>
    NoServerName,

    /// <summary>Not a TLS handshake, or a malformed one.</summary>
    NotTls,

    /// <summary>Larger than <see cref="ClientHelloParser.MaxHandshakeBytes"/> or spread over more than <see cref="ClientHelloParser.MaxRecords"/> records.</summary>
    TooLarge,
}

/// <summary>
/// Reads the SNI from a TLS ClientHello without terminating TLS, in two layers: TLS records (a ClientHello may be
/// fragmented over several), then the handshake message reassembled from their payloads (a post-quantum
/// ClientHello no longer fits one TCP segment, so the caller feeds whatever has arrived and asks again). Every
/// length is checked against what remains; nothing is trusted, unknown (GREASE) extensions are skipped.
/// </summary>
/// <remarks>
/// One instance per connection remembers how far it got: a complete record is examined and copied once, and a call
/// with a record still incomplete costs a few comparisons, so a client sending one byte at a time costs linear work,
/// not a copy of everything buffered per read. A ClientHello within one record (the usual case) is never copied.
/// </remarks>
internal sealed class ClientHelloParser
{
    /// <summary>BoringSSL's (and Envoy's) limit for a ClientHello.</summary>
    public const int MaxHandshakeBytes = 16 * 1024;

    /// <summary>Bounds fragmentation: 16 KiB of one-byte records would otherwise be legal.</summary>
    public const int MaxRecords = 64;

    /// <summary>The most bytes a ClientHello within the limits can take on the wire (payload plus record headers).</summary>
    public const int MaxWireBytes = MaxHandshakeBytes + 4 + (MaxRecords * RecordHeader);

    private const int RecordHeader = 5;
    private const int MessageHeader = 4;
    private const byte Handshake = 0x16;
    private const byte ClientHello = 0x01;
    private const int MaxRecordPayload = 16384;
    private const ushort ServerNameExtension = 0;
    private const int MaxHostName = 253;

    // Where the first record not yet consumed starts, and how many records were consumed before it.
    private int _position;
    private int _records;

    // The handshake message reassembled from consumed records (allocated only when it spans more than one), its
    // length so far, and the length its header announces (-1 until its first four bytes are in).
    private byte[]? _message;
    private int _length;
    private int _expected = -1;

    /// <summary>Parses one complete buffer (a fresh parser for each call).</summary>
    public static ClientHelloStatus Parse(ReadOnlySpan<byte> data, out string? serverName) => new ClientHelloParser().Continue(data, out serverName);

    /// <summary>
    /// Judges everything received so far: <paramref name="received"/> is the same prefix on every call, longer each
    /// time. Once the status is anything but <see cref="ClientHelloStatus.NeedMore"/> the parser is done.
    /// </summary>
    public ClientHelloStatus Continue(ReadOnlySpan<byte> received, out string? serverName)
    {
        serverName = null;
        if (received.IsEmpty)
        {
            return ClientHelloStatus.NeedMore;
        }

        if (received[0] != Handshake)
        {
            // SSLv2-compatible hello: a two-byte length with the high bit set, then msg_type 1. It has no extensions.
            return (received[0] & 0x80) != 0 && received.Length >= 3 && received[2] == ClientHello
                ? ClientHelloStatus.NoServerName
                : (received[0] & 0x80) != 0 && received.Length < 3 ? ClientHelloStatus.NeedMore : ClientHelloStatus.NotTls;
        }

        Span<byte> header = stackalloc byte[MessageHeader];
        while (true)
        {
            var rest = received[_position..];
            if (rest.Length < RecordHeader)
            {
                return Validate(rest);
            }

            if (rest[0] != Handshake || rest[1] != 3)
            {
                return ClientHelloStatus.NotTls;
            }

            var recordLength = BinaryPrimitives.ReadUInt16BigEndian(rest[3..]);
            if (recordLength is 0 or > MaxRecordPayload)
            {
                return ClientHelloStatus.NotTls;
            }

            if (_records + 1 > MaxRecords)
            {
                return ClientHelloStatus.TooLarge;
            }

            var payload = rest.Slice(RecordHeader, Math.Min(recordLength, rest.Length - RecordHeader));
            if (_expected < 0 && _length + payload.Length >= MessageHeader)
            {
                _message.AsSpan(0, _length).CopyTo(header);
                payload[..(MessageHeader - _length)].CopyTo(header[_length..]);
                if (header[0] != ClientHello)
                {
                    return ClientHelloStatus.NotTls;
                }

                _expected = (header[1] << 16) | (header[2] << 8) | header[3];
                if (_expected > MaxHandshakeBytes)
                {
                    return ClientHelloStatus.TooLarge;
                }
            }

            if (_expected >= 0 && _length + payload.Length >= _expected + MessageHeader)
            {
                // The message ends inside this record; the rest of it may be the next handshake message (never routed on).
                if (_length == 0)
                {
                    return Body(payload.Slice(MessageHeader, _expected), out serverName);
                }

                Append(payload[..(_expected + MessageHeader - _length)]);
                return Body(_message.AsSpan(MessageHeader, _expected), out serverName);
            }

            if (payload.Length < recordLength)
            {
                // Nothing is copied from a record until it is whole: the next call starts at its header again.
                return ClientHelloStatus.NeedMore;
            }

            Append(payload);
            _records++;
            _position += RecordHeader + recordLength;
        }

        // A partial record header: judge what is there so a plain-text client fails at once, not at the deadline.
        static ClientHelloStatus Validate(ReadOnlySpan<byte> partial) =>
            partial.Length >= 1 && partial[0] != Handshake ? ClientHelloStatus.NotTls
            : partial.Length >= 2 && partial[1] != 3 ? ClientHelloStatus.NotTls
            : ClientHelloStatus.NeedMore;
    }

    /// <summary>Adds a consumed record's payload; never beyond the announced message, so at most two allocations.</summary>
    private void Append(ReadOnlySpan<byte> payload)
    {
        var size = _expected >= 0 ? _expected + MessageHeader : MessageHeader;
        if (_message is null || _message.Length < size)
        {
            Array.Resize(ref _message, size);
        }

        payload.CopyTo(_message.AsSpan(_length));
        _length += payload.Length;
    }

    private static ClientHelloStatus Body(ReadOnlySpan<byte> body, out string? serverName)
    {
        serverName = null;
        var reader = new SpanReader(body);

        // legacy_version, random
        if (!reader.Skip(2 + 32)
            || !reader.TryReadVector8(out var sessionId) || sessionId.Length > 32
            || !reader.TryReadVector16(out var cipherSuites) || cipherSuites.Length < 2 || cipherSuites.Length % 2 != 0
            || !reader.TryReadVector8(out var compression) || compression.Length < 1)
        {
            return ClientHelloStatus.NotTls;
        }

        if (reader.Remaining == 0)
        {
            return ClientHelloStatus.NoServerName;
        }

        if (!reader.TryReadVector16(out var extensions) || reader.Remaining != 0)
        {
            return ClientHelloStatus.NotTls;
        }

        var found = false;
        string? name = null;
        var ext = new SpanReader(extensions);
        while (ext.Remaining > 0)
        {
            if (!ext.TryReadUInt16(out var type) || !ext.TryReadVector16(out var data))
            {
                return ClientHelloStatus.NotTls;
            }

            if (type != ServerNameExtension)
            {
                continue;
            }

            // Two server_name extensions are forbidden (RFC 8446 §4.2); picking one would let two parsers disagree.
            if (found)
            {
                return ClientHelloStatus.NotTls;
            }

            found = true;
            var status = ServerNameList(data, out name);
            if (status != ClientHelloStatus.ServerName)
            {
                return status;
            }
        }

        serverName = name;
        return found ? ClientHelloStatus.ServerName : ClientHelloStatus.NoServerName;
    }

    private static ClientHelloStatus ServerNameList(ReadOnlySpan<byte> data, out string? serverName)
    {
        serverName = null;
        var reader = new SpanReader(data);
        if (!reader.TryReadVector16(out var list) || reader.Remaining != 0)
        {
            return ClientHelloStatus.NotTls;
        }

        var names = new SpanReader(list);
        while (names.Remaining > 0)
        {
            if (!names.TryReadByte(out var nameType) || !names.TryReadVector16(out var name))
            {
                return ClientHelloStatus.NotTls;
            }

            if (nameType != 0)
            {
                continue;
            }

            // RFC 6066 §3: at most one name of a type.
            if (serverName is not null || !TryHostName(name, out serverName))
            {
                serverName = null;
                return ClientHelloStatus.NotTls;
            }
        }

        return serverName is null ? ClientHelloStatus.NoServerName : ClientHelloStatus.ServerName;
    }

    /// <summary>An A-label host name: letters, digits, '-', '_', '.', no trailing dot; lower-cased.</summary>
    private static bool TryHostName(ReadOnlySpan<byte> name, out string? host)
    {
        host = null;
        if (name.IsEmpty || name.Length > MaxHostName || name[^1] == '.' || name[0] == '.')
        {
            return false;
        }

        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            if (b is >= (byte)'A' and <= (byte)'Z')
            {
                b = (byte)(b + 32);
            }

            if (b is not ((>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.'))
            {
                return false;
            }

            chars[i] = (char)b;
        }

        host = new string(chars);
        return true;
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly int Remaining => _data.Length;

        public bool Skip(int count)
        {
            if (_data.Length < count)
            {
                return false;
            }

            _data = _data[count..];
            return true;
        }

        public bool TryReadByte(out byte value)
        {
            value = 0;
            if (_data.IsEmpty)
            {
                return false;
            }

            value = _data[0];
            _data = _data[1..];
            return true;
        }

        public bool TryReadUInt16(out ushort value)
        {
            value = 0;
            if (_data.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_data);
            _data = _data[2..];
            return true;
        }

        public bool TryReadVector8(out ReadOnlySpan<byte> vector)
        {
            vector = default;
            return TryReadByte(out var length) && TryTake(length, out vector);
        }

        public bool TryReadVector16(out ReadOnlySpan<byte> vector)
        {
            vector = default;
            return TryReadUInt16(out var length) && TryTake(length, out vector);
        }

        private bool TryTake(int length, out ReadOnlySpan<byte> vector)
        {
            vector = default;
            if (_data.Length < length)
            {
                return false;
            }

            vector = _data[..length];
            _data = _data[length..];
            return true;
        }
    }
}
