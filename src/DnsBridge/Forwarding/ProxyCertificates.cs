using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.Configuration;

namespace DnsBridge.Forwarding;

/// <summary>
/// The certificates of the TLS proxy listener, chosen per handshake by SNI (exact name, then wildcard, then the
/// first). Files are re-read when they change (checked at most every few seconds, on handshakes), and when the
/// configuration lists other files, so a renewed certificate needs no restart. Each certificate is served with the
/// chain from its file and, when it names an OCSP responder (and its chain reaches a root), a stapled OCSP response
/// that .NET fetches in the background and refreshes before it expires.
/// </summary>
internal sealed partial class ProxyCertificates : IDisposable
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _time;
    private readonly ILogger<ProxyCertificates> _logger;
    private readonly Lock _gate = new();
    private IReadOnlyList<CertificateConfig> _files;
    private volatile Loaded _loaded;
    private long _nextCheck;

    public ProxyCertificates(ConfigMonitor config, TimeProvider time, ILogger<ProxyCertificates> logger)
    {
        _time = time;
        _logger = logger;
        _files = config.Current.Listen.Certificates;
        _loaded = Load(_files);
        config.Changed += (_, next) =>
        {
            lock (_gate)
            {
                _files = next.Listen.Certificates;
                Swap(Load(_files));
            }
        };
    }

    public SslStreamCertificateContext? Select(string? serverName)
    {
        var now = _time.GetTimestamp();
        if (now >= Interlocked.Read(ref _nextCheck))
        {
            Interlocked.Exchange(ref _nextCheck, now + (long)(CheckEvery.TotalSeconds * _time.TimestampFrequency));
            ReloadIfChanged();
        }

        return _loaded.Select(serverName);
    }

    private void ReloadIfChanged()
    {
        lock (_gate)
        {
            if (_loaded.Stamp != Stamp(_files))
            {
                Swap(Load(_files));
            }
        }
    }

    private void Swap(Loaded next)
    {
        if (next.Entries.Count == 0 && _files.Count > 0)
        {
            // A half-written renewal: keep serving the previous certificates until the files are whole again.
            return;
        }

        _loaded = next;
        if (next.Entries.Count > 0)
        {
            LogLoaded(_logger, next.Entries.Count, string.Join(", ", next.Entries.SelectMany(e => e.Names)));
        }
    }

    private Loaded Load(IReadOnlyList<CertificateConfig> files)
    {
        var entries = new List<Entry>();
        foreach (var file in files)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(file.CertFile, file.KeyFile);
                // PKCS#12 round trip: SslStream on Linux wants a certificate whose key is not ephemeral.
                var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                entries.Add(new Entry(certificate, Context(certificate, file.CertFile), NamesOf(certificate)));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogLoadFailed(_logger, file.CertFile, e.Message);
                return new Loaded([], Stamp(files));
            }
        }

        return new Loaded(entries, Stamp(files));
    }

    /// <summary>
    /// The certificate with the rest of its PEM file as the chain. Not offline: a missing intermediate may be fetched,
    /// and the OCSP staple is (the certificate's AIA responder, over HTTP, in the background; handshakes before it
    /// arrives go without one).
    /// </summary>
    private static SslStreamCertificateContext Context(X509Certificate2 certificate, string certFile)
    {
        var file = new X509Certificate2Collection();
        file.ImportFromPemFile(certFile);
        try
        {
            var chain = new X509Certificate2Collection();
            chain.AddRange(file.Where(c => c.Thumbprint != certificate.Thumbprint).ToArray());
            return SslStreamCertificateContext.Create(certificate, chain, offline: false);
        }
        finally
        {
            // The context keeps its own copies of the chain it built.
            foreach (var c in file)
            {
                c.Dispose();
            }
        }
    }

    private static string Stamp(IReadOnlyList<CertificateConfig> files) =>
        string.Join('|', files.Select(f => $"{f.CertFile}@{File.GetLastWriteTimeUtc(f.CertFile).Ticks}:{f.KeyFile}@{File.GetLastWriteTimeUtc(f.KeyFile).Ticks}"));

    private static string[] NamesOf(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames().Select(n => n.ToLowerInvariant()));
            }
        }

        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } cn)
        {
            names.Add(cn.ToLowerInvariant());
        }

        return [.. names];
    }

    public void Dispose()
    {
        foreach (var entry in _loaded.Entries)
        {
            entry.Certificate.Dispose();
        }
    }

    private sealed record Entry(X509Certificate2 Certificate, SslStreamCertificateContext Context, string[] Names);

    private sealed record Loaded(IReadOnlyList<Entry> Entries, string Stamp)
    {
        public SslStreamCertificateContext? Select(string? serverName)
        {
            if (Entries.Count == 0)
            {
                return null;
            }

            if (!string.IsNullOrEmpty(serverName))
            {
                var name = serverName.ToLowerInvariant();
                foreach (var entry in Entries)
                {
                    if (entry.Names.Contains(name))
                    {
                        return entry.Context;
                    }
                }

                var dot = name.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0)
                {
                    var wildcard = "*" + name[dot..];
                    foreach (var entry in Entries)
                    {
                        if (entry.Names.Contains(wildcard))
                        {
                            return entry.Context;
                        }
                    }
                }
            }

            return Entries[0].Context;
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "TLS proxy listener: {Count} certificate(s) loaded for {Names}")]
    private static partial void LogLoaded(ILogger logger, int count, string names);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "TLS proxy listener: cannot load {File}: {Problem}; the previous certificates stay in use")]
    private static partial void LogLoadFailed(ILogger logger, string file, string problem);
}
