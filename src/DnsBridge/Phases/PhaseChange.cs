using DnsBridge.Events;

namespace DnsBridge.Phases;

/// <summary>Who asked for a phase change (the <c>by</c> of <c>phase_changed</c>).</summary>
internal static class PhaseRequesters
{
    public const string Cli = "cli";
    public const string Api = "api";
    public const string Auto = "auto";

    public static bool IsKnown(string? by) => by is Cli or Api or Auto;
}

/// <summary>How a phase change request ended; the API maps it to an HTTP status, the CLI to an exit code.</summary>
internal enum PhaseChangeOutcome
{
    Changed,

    /// <summary>No cutover of that name (404, exit 2).</summary>
    UnknownCutover,

    /// <summary>The cutover has no SourceBackend, or the phase is unknown (400, exit 2).</summary>
    BadRequest,

    /// <summary>Not allowed from the current phase, or the readiness gate refused (409, exit 1).</summary>
    Refused,

    /// <summary>The state store could not be read or written (503, exit 1).</summary>
    Unavailable,
}

/// <summary>The answer to a phase change request.</summary>
internal sealed record PhaseChangeResult(PhaseChangeOutcome Outcome, string Message, CutoverPhase? From = null, CutoverPhase? To = null, bool Forced = false,
    IReadOnlyList<string>? Failures = null);
