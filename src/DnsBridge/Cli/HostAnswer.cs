namespace DnsBridge.Cli;

/// <summary>One host's A answer today; <see cref="Problem"/> says why there is none (NXDOMAIN, timeout ...).</summary>
internal sealed record HostAnswer(string Host, IReadOnlyList<string> Addresses, string? Problem);
