namespace DnsBridge.Listeners;

/// <summary>What a listener is for. Every connection carries its listener's role, so nothing is told apart by port.</summary>
internal enum ListenerRole
{
    /// <summary><c>Listen:Proxy</c>: plain HTTP from the source load balancer, forwarded.</summary>
    Proxy,

    /// <summary><c>Listen:ProxyHttps</c>: TLS ends here with the cutovers' certificates, then forwarded.</summary>
    ProxyTls,

    /// <summary><c>Listen:Admin</c>: metrics, health, API, status page; never forwards.</summary>
    Admin,
}

/// <summary>The connection feature that carries a listener's role to every request on the connection (one instance per role).</summary>
internal sealed class ListenerRoleFeature
{
    private static readonly ListenerRoleFeature[] ByRole = [.. Enum.GetValues<ListenerRole>().Select(r => new ListenerRoleFeature(r))];

    private ListenerRoleFeature(ListenerRole role) => Role = role;

    public ListenerRole Role { get; }

    public static ListenerRoleFeature Of(ListenerRole role) => ByRole[(int)role];
}
