namespace DnsBridge.Configuration;

/// <summary>
/// <c>Alerts:Email</c>: one message per event over SMTP. Transport security is one of three modes, never a silent
/// downgrade: <c>StartTls: true</c> (the default, port 587) requires STARTTLS and fails when the server does not offer
/// it; <c>StartTls: false</c> is implicit TLS from the first byte (port 465); <c>Tls: false</c> is plain SMTP (port 25)
/// for a relay on the same host or network, and then no credentials may be configured.
/// </summary>
internal sealed record EmailConfig
{
    /// <summary>The outbox receiver name of email: rows, the API and the pending gauges show it like a webhook's name.</summary>
    public const string ReceiverName = "email";

    public string Host { get; init; } = "";

    /// <summary>Null: 587 with STARTTLS, 465 with implicit TLS, 25 without TLS (<see cref="EffectivePort"/>).</summary>
    public int? Port { get; init; }

    /// <summary>Null: true when TLS is on (STARTTLS required); false selects implicit TLS.</summary>
    public bool? StartTls { get; init; }

    /// <summary>False: plain SMTP, no TLS at all (a local relay); true (the default): STARTTLS or implicit TLS.</summary>
    public bool Tls { get; init; } = true;

    /// <summary>Null: no authentication (a relay that trusts this host).</summary>
    public string? Username { get; init; }

    /// <summary>Never logged; best set from the environment as <c>DNSBRIDGE__Alerts__Email__Password</c>.</summary>
    public string? Password { get; init; }

    public string From { get; init; } = "";

    public IReadOnlyList<string> To { get; init; } = [];

    /// <summary>A PEM file of private CA certificates trusted besides the system's, like <c>Target.CaFile</c>.</summary>
    public string? CaFile { get; init; }

    public bool UsesStartTls => Tls && StartTls != false;

    public int EffectivePort => Port ?? (!Tls ? 25 : UsesStartTls ? 587 : 465);

    /// <summary>How email is shown wherever a receiver is: no user, no password, just where mail goes.</summary>
    public string Display => $"smtp://{Host}:{EffectivePort} ({(!Tls ? "no TLS" : UsesStartTls ? "STARTTLS" : "implicit TLS")})";
}
