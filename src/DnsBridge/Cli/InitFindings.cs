namespace DnsBridge.Cli;

/// <summary>What <c>init</c> learnt from DNS: each host's answer today and the zone's name servers (none when not found).</summary>
internal sealed record InitFindings(IReadOnlyList<HostAnswer> Answers, IReadOnlyList<NameServerFound> NameServers);
