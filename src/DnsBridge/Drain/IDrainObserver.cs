using DnsBridge.Events;

namespace DnsBridge.Drain;

/// <summary>
/// Told the drain state of each cutover when it is first known and whenever it changes (the forwarder nudges
/// clients once propagation is complete). Drain knows no observer's type. Must be quick and must not throw.
/// </summary>
internal interface IDrainObserver
{
    void OnDrainState(string cutover, DrainState state);
}
