using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>Each cutover's drain status, by cutover name.</summary>
internal interface ICutoverStatusStore
{
    IReadOnlyDictionary<string, DrainStatus> Load();

    /// <summary>False when the write failed (see <see cref="IStateDatabase.Problem"/>); never throws for that.</summary>
    bool Save(string cutover, DrainStatus status, DateTimeOffset now);
}
