using System.Net;

namespace DnsBridge.Cli;

/// <summary>What <c>init</c> was told, from flags or prompts: checked before DNS is asked.</summary>
/// <param name="SourceBackend">The old application as DnsBridge reaches it at the source: the cutover then starts in rehearsal.</param>
/// <param name="SourceBackendHttps">Whether the old application serves HTTPS.</param>
internal sealed record InitAnswers(IReadOnlyList<string> Hosts, IPEndPoint Target, bool Https, IPEndPoint? Resolver,
    IPEndPoint? SourceBackend = null, bool SourceBackendHttps = false);
