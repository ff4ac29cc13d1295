using DnsBridge.State;

namespace DnsBridge.Mirror;

/// <summary>
/// Mirror results over every replica sharing the store and across restarts: this replica's live results plus what
/// the others last wrote (each replica's whole state, at most a few seconds old). The readiness report and the switch
/// gate read these, so copies sampled on any replica count, whichever replica the operator's request lands on. At
/// start a replica adds back what it wrote before, so a restart loses at most the last few seconds of copies (none
/// on a graceful stop, which writes on the way out). With SQLite there are no others: the figures are this process's,
/// and they survive its restarts. <see cref="Save"/> and <see cref="Refresh"/> run on <see cref="MirrorResultsWriter"/>,
/// never on the request path.
/// </summary>
internal sealed class ClusterMirror : IMirrorReadiness
{
    private readonly MirrorRegistry _registry;
    private readonly IClusterStore _store;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, long> _saved = new(StringComparer.Ordinal);
    private volatile Dictionary<string, IReadOnlyList<MirrorResultsState>> _others;

    public ClusterMirror(MirrorRegistry registry, IClusterStore store, string replica, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(store);
        _registry = registry;
        _store = store;
        _time = time;
        Replica = replica;

        // At start the store was just opened: a failure here is a failure to start, as for the residual totals.
        var stored = store.Mirrors();
        foreach (var own in stored.Where(r => r.Replica == replica))
        {
            if (MirrorResultsState.FromJson(own.Document) is { } state)
            {
                _registry.Restore(own.Cutover, state);
                if (_registry.Find(own.Cutover) is { } engine)
                {
                    _saved[own.Cutover] = engine.Results.Version;
                }
            }
        }

        _others = Others(stored);
    }

    public string Replica { get; }

    /// <summary>The cutover's results over every replica, or null when nothing was ever mirrored for it anywhere.</summary>
    public MirrorReport? Report(string cutover) => Combined(cutover)?.Snapshot(cutover);

    public MirrorReadiness Readiness(string cutover) => Combined(cutover)?.Readiness() ?? MirrorReadiness.None;

    private MirrorResults? Combined(string cutover)
    {
        var local = _registry.Find(cutover)?.Results;
        if (!_others.TryGetValue(cutover, out var others))
        {
            return local;
        }

        var combined = new MirrorResults(_time);
        if (local is not null)
        {
            combined.Add(local.Export());
        }

        foreach (var state in others)
        {
            combined.Add(state);
        }

        return combined;
    }

    /// <summary>
    /// Writes the whole state of each cutover whose results changed since the last successful write. False when the
    /// write failed (tried again next time: the state is absolute, nothing is queued). A cutover that never mirrored
    /// anything is never written.
    /// </summary>
    public bool Save(DateTimeOffset now)
    {
        var changed = new List<(StoredMirror Row, long Version)>();
        foreach (var engine in _registry.Engines)
        {
            var version = engine.Results.Version;
            if (version != _saved.GetValueOrDefault(engine.Cutover))
            {
                changed.Add((new StoredMirror(Replica, engine.Cutover, engine.Results.Export().ToJson()), version));
            }
        }

        if (changed.Count == 0)
        {
            return true;
        }

        if (!_store.SaveMirror(Replica, [.. changed.Select(c => c.Row)], now))
        {
            return false;
        }

        foreach (var (row, version) in changed)
        {
            _saved[row.Cutover] = version;
        }

        return true;
    }

    /// <summary>Reads the other replicas' results; false (the last ones kept) when the store cannot be read.</summary>
    public bool Refresh()
    {
        try
        {
            _others = Others(_store.Mirrors());
            return true;
        }
        catch (StateStoreException)
        {
            return false;
        }
    }

    private Dictionary<string, IReadOnlyList<MirrorResultsState>> Others(IReadOnlyList<StoredMirror> stored)
    {
        var others = new Dictionary<string, IReadOnlyList<MirrorResultsState>>(StringComparer.Ordinal);
        foreach (var group in stored.Where(r => r.Replica != Replica).GroupBy(r => r.Cutover, StringComparer.Ordinal))
        {
            var states = group.Select(r => MirrorResultsState.FromJson(r.Document)).OfType<MirrorResultsState>().ToList();
            if (states.Count > 0)
            {
                others[group.Key] = states;
            }
        }

        return others;
    }
}
