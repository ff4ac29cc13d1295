using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback: Debian's aiosmtpd (<c>python3-aiosmtpd</c>, tests/setup/system-packages.txt) run
/// by a small controller script with STARTTLS from a test CA (required before MAIL), optional AUTH with one user,
/// and every accepted message parsed by Python's own <c>email</c> package (not MailKit) into a JSON file: envelope,
/// headers, the MIME parts with their content, whether TLS and AUTH were used. RCPT to <c>reject@…</c> answers 550,
/// to <c>later@…</c> 451. Without STARTTLS required and with a user, it is a relay that answers MAIL FROM before
/// AUTH with <c>530 5.7.0 Authentication required</c>.
/// </summary>
internal sealed class SmtpServer : IAsyncDisposable
{
    // The system interpreter: the Debian package installs aiosmtpd there, not in a PATH-first pyenv.
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import asyncio, email, json, os, ssl, sys, time, uuid
        from email import policy
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        port, folder, cert, key, user, password, starttls = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] == '1'

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.startswith('reject@'):
                    return '550 5.1.1 no such user'
                if address.startswith('later@'):
                    return '451 4.3.0 try again later'
                envelope.rcpt_tos.append(address)
                return '250 OK'

            async def handle_DATA(self, server, session, envelope):
                msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
                parts = [{'type': p.get_content_type(), 'content': p.get_content()} for p in msg.walk() if not p.is_multipart()]
                record = {'mailFrom': envelope.mail_from, 'rcptTos': envelope.rcpt_tos, 'subject': str(msg['subject']),
                          'from': str(msg['from']), 'to': str(msg['to']), 'messageId': str(msg['message-id']),
                          'contentType': msg.get_content_type(), 'parts': parts,
                          'tls': session.ssl is not None, 'login': session.auth_data if isinstance(session.auth_data, str) else None}
                tmp = os.path.join(folder, uuid.uuid4().hex + '.tmp')
                with open(tmp, 'w') as f:
                    json.dump(record, f)
                os.rename(tmp, tmp[:-4] + '.json')
                return '250 OK'

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        controller = Controller(Handler(), hostname='127.0.0.1', port=port, tls_context=context, require_starttls=starttls,
                                authenticator=authenticator, auth_required=bool(user), auth_require_tls=True)
        controller.start()
        print('READY', flush=True)
        sys.stdin.read()
        controller.stop()
        """;

    private readonly Process _process;
    private readonly string _dir;

    private SmtpServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>
    /// Starts the server with a certificate for 127.0.0.1 from <paramref name="ca"/>; with a user, AUTH is required;
    /// STARTTLS is required before MAIL unless <paramref name="requireStartTls"/> is false.
    /// </summary>
    public static async Task<SmtpServer> StartAsync(TestCertificates ca, string? user = null, string? password = null, bool requireStartTls = true)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var dir = Directory.CreateTempSubdirectory("dnsbridge-smtp").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "mail"));
        using var leaf = ca.Issue(["127.0.0.1", "localhost"]);
        await File.WriteAllTextAsync(Path.Combine(dir, "cert.pem"), leaf.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "key.pem"), leaf.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Path.Combine(dir, "server.py"), Script);

        var port = Ports.Free();
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(dir, "server.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(dir, "mail"),
            Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"), user ?? "", password ?? "", requireStartTls ? "1" : "0" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != "READY")
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token);
            process.Kill();
            throw new InvalidOperationException($"aiosmtpd did not start (install python3-aiosmtpd: tests/setup/install-packages.sh): {error}");
        }

        return new SmtpServer(process, dir, port);
    }

    /// <summary>Every message accepted so far, as Python parsed it.</summary>
    public IReadOnlyList<JsonObject> Messages =>
        [.. Directory.GetFiles(Path.Combine(_dir, "mail"), "*.json").Select(f => (JsonObject)JsonNode.Parse(File.ReadAllText(f))!)];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
