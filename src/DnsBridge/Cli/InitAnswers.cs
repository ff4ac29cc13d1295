using System.Net;

namespace DnsBridge.Cli;

/// <summary>What <c>init</c> was told, from flags or prompts: checked before DNS is asked.</summary>
internal sealed record InitAnswers(IReadOnlyList<string> Hosts, IPEndPoint Target, bool Https, IPEndPoint? Resolver);
