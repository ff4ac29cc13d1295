namespace DnsBridge.Events;

/// <summary>DESIGN.md's cutover phases ("Cutover phases"): where a cutover's requests and connections go.</summary>
internal enum CutoverPhase
{
    /// <summary>Before the switch: everything goes to the source backend.</summary>
    Rehearsal,

    /// <summary>The final data sync: requests are held (up to <c>Freeze.Hold</c>), nothing reaches either side.</summary>
    Frozen,

    /// <summary>Everything goes to the target (a cutover without a source backend is always here).</summary>
    Switched,

    /// <summary>Everything goes to the source backend again; drain detection pauses.</summary>
    RolledBack,
}

internal static class CutoverPhases
{
    public static readonly IReadOnlyList<CutoverPhase> All = [CutoverPhase.Rehearsal, CutoverPhase.Frozen, CutoverPhase.Switched, CutoverPhase.RolledBack];

    public static string Label(this CutoverPhase phase) => phase switch
    {
        CutoverPhase.Rehearsal => "rehearsal",
        CutoverPhase.Frozen => "frozen",
        CutoverPhase.Switched => "switched",
        _ => "rolled_back",
    };

    /// <summary>The phase a label names (<c>rehearsal</c>, <c>frozen</c>, <c>switched</c>, <c>rolled_back</c>), case-insensitive.</summary>
    public static bool TryParse(string? label, out CutoverPhase phase)
    {
        foreach (var p in All)
        {
            if (string.Equals(p.Label(), label?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                phase = p;
                return true;
            }
        }

        phase = default;
        return false;
    }

    /// <summary>Requests and connections go to the source backend in this phase.</summary>
    public static bool ToSource(this CutoverPhase phase) => phase is CutoverPhase.Rehearsal or CutoverPhase.RolledBack;
}

/// <summary>
/// The phase each cutover is in, as this process last applied it (read by the drain detector and the propagation
/// monitor, which must not know who keeps it). A cutover without a source backend is always
/// <see cref="CutoverPhase.Switched"/>. Quick, in memory, never throws.
/// </summary>
internal interface ICutoverPhases
{
    CutoverPhase PhaseOf(string cutover);
}

/// <summary>Every cutover switched: what a process without the phase controller (tools, tests) sees.</summary>
internal sealed class AlwaysSwitched : ICutoverPhases
{
    public static AlwaysSwitched Instance { get; } = new();

    public CutoverPhase PhaseOf(string cutover) => CutoverPhase.Switched;
}
