namespace DnsBridge.Mirror;

/// <summary>
/// The comparison results of one cutover: totals, and per path group the counts, latency sketches, the fields that
/// differed and a few samples. Bounded everywhere: at most <see cref="GroupCapacity"/> groups (Space-Saving: a new
/// group takes the slot of the least-copied one), and per group capped tables of fields, signatures, status pairs,
/// noise and samples. Fed from the background copies only, never from the client's path, so one lock is enough.
/// </summary>
/// <remarks>
/// Noise is learned while copies are compared (Diffy's two source answers). A copy judged before a field was known
/// as noise is judged again when read: each group keeps the distinct sets of differing fields ("signatures") with
/// their counts, and a set made only of noise counts as a body match in <see cref="Snapshot"/>.
/// </remarks>
internal sealed class MirrorResults
{
    public const int GroupCapacity = 200;
    public const int SamplesPerKind = 3;
    public const string BodyField = "(body)";
    public const string ContentTypeField = "(content-type)";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, GroupStats> _groups = new(StringComparer.Ordinal);
    private readonly long[] _outcomes = new long[MirrorOutcomes.Labels.Count];
    private readonly LatencySketch _source = new();
    private readonly LatencySketch _target = new();
    private readonly TimeProvider _time;
    private long _copies;
    private long _statusMatches;
    private long _noiseSamples;
    private long _evictions;
    private long _evictedBodyMismatches;
    private long _version;

    public MirrorResults(TimeProvider time) => _time = time;

    public long Dropped => Interlocked.Read(ref _outcomes[(int)MirrorOutcome.Dropped]);

    /// <summary>Moves with every change: what the writer compares to know whether there is anything new to store.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Drop()
    {
        Interlocked.Increment(ref _outcomes[(int)MirrorOutcome.Dropped]);
        Interlocked.Increment(ref _version);
    }

    public void Record(CopyResult result)
    {
        _source.Record(result.SourceLatency);
        if (result.TargetLatency is { } t)
        {
            _target.Record(t);
        }

        lock (_gate)
        {
            _copies++;
            _outcomes[(int)result.Outcome]++;
            if (result.Outcome is not MirrorOutcome.TargetError && result.TargetStatus == result.SourceStatus)
            {
                _statusMatches++;
            }

            Group(result.Group).Record(result);
            Interlocked.Increment(ref _version);
        }
    }

    /// <summary>Two answers of the source to the same request differed in these fields: they are noise in this group.</summary>
    public void LearnNoise(string group, IReadOnlyCollection<string> fields)
    {
        lock (_gate)
        {
            _noiseSamples++;
            Group(group).Learn(fields);
            Interlocked.Increment(ref _version);
        }
    }

    /// <summary>Everything counted so far, for the store (<see cref="MirrorResultsState"/>).</summary>
    public MirrorResultsState Export()
    {
        lock (_gate)
        {
            var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < _outcomes.Length; i++)
            {
                outcomes[MirrorOutcomes.Labels[i]] = Interlocked.Read(ref _outcomes[i]);
            }

            return new MirrorResultsState(_copies, _statusMatches, _noiseSamples, _evictions, _evictedBodyMismatches, outcomes,
                _source.Buckets(), _target.Buckets(), [.. _groups.Values.OrderBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Export())]);
        }
    }

    /// <summary>
    /// Adds what another replica counted, or what this one counted before it restarted: the figures become those of
    /// one process that counted both. Groups beyond <see cref="GroupCapacity"/> are evicted as when counting.
    /// </summary>
    public void Add(MirrorResultsState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _source.Add(state.Source);
        _target.Add(state.Target);
        lock (_gate)
        {
            _copies += state.Copies;
            _statusMatches += state.StatusMatches;
            _noiseSamples += state.NoiseSamples;
            _evictions += state.Evictions;
            _evictedBodyMismatches += state.EvictedBodyMismatches;
            for (var i = 0; i < _outcomes.Length; i++)
            {
                Interlocked.Add(ref _outcomes[i], state.Outcomes.GetValueOrDefault(MirrorOutcomes.Labels[i]));
            }

            foreach (var group in state.Groups.OrderByDescending(g => g.Copies))
            {
                if (_groups.TryGetValue(group.Name, out var known))
                {
                    known.Add(group);
                    continue;
                }

                // A group new here takes a slot only from a lighter one, so the heaviest groups of both stay.
                var incoming = new GroupStats(group.Name, 0);
                incoming.Add(group);
                if (_groups.Count >= GroupCapacity && _groups.Values.Min(v => v.Copies) >= incoming.Copies)
                {
                    _evictions++;
                    _evictedBodyMismatches += incoming.BodyMismatches();
                    continue;
                }

                Group(group.Name).Add(group);
            }

            Interlocked.Increment(ref _version);
        }
    }

    /// <summary>The noise known in a group (a copy), for the comparison.</summary>
    public IReadOnlySet<string> NoiseOf(string group)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(group, out var g) ? new HashSet<string>(g.Noise, StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
        }
    }

    private GroupStats Group(string name)
    {
        if (_groups.TryGetValue(name, out var g))
        {
            return g;
        }

        long error = 0;
        if (_groups.Count >= GroupCapacity)
        {
            var victim = _groups.Values.MinBy(v => v.Copies)!;
            _groups.Remove(victim.Name);
            _evictions++;
            _evictedBodyMismatches += victim.BodyMismatches();
            error = victim.Copies;
        }

        g = new GroupStats(name, error);
        _groups[name] = g;
        return g;
    }

    public MirrorReport Snapshot(string cutover)
    {
        lock (_gate)
        {
            var groups = _groups.Values.OrderByDescending(g => g.Copies).ThenBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Snapshot()).ToList();
            var bodyMismatches = _evictedBodyMismatches + groups.Sum(g => g.BodyMismatches);
            var targetErrors = _outcomes[(int)MirrorOutcome.TargetError];
            var statusMismatches = _outcomes[(int)MirrorOutcome.StatusMismatch];
            return new MirrorReport(
                cutover,
                _time.GetUtcNow(),
                _copies,
                _copies - statusMismatches - targetErrors - bodyMismatches,
                _statusMatches,
                statusMismatches,
                bodyMismatches,
                targetErrors,
                Dropped,
                _noiseSamples,
                Ratio(_statusMatches, _copies),
                Ms(_source.Quantile(0.5)),
                Ms(_source.Quantile(0.99)),
                Ms(_target.Quantile(0.5)),
                Ms(_target.Quantile(0.99)),
                LatencyRatio(_source, _target),
                _evictions,
                groups);
        }
    }

    /// <summary>What the switch gate reads: totals and per path group, noise learned so far taken into account.</summary>
    public MirrorReadiness Readiness()
    {
        lock (_gate)
        {
            var groups = _groups.Values.OrderByDescending(g => g.Copies).ThenBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Readiness()).ToList();
            return new MirrorReadiness(_copies, _statusMatches, LatencyRatio(_source, _target), groups);
        }
    }

    internal static double? Ratio(long part, long whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    internal static double? Ms(double? seconds) => seconds is { } s ? Math.Round(s * 1000, 2) : null;

    internal static double? LatencyRatio(LatencySketch source, LatencySketch target) =>
        source.Quantile(0.99) is { } s && target.Quantile(0.99) is { } t && s > 0 ? Math.Round(t / s, 2) : null;

    private sealed class GroupStats(string name, long error)
    {
        private long _error = error;
        private const int MaxFields = 64;
        private const int MaxSignatures = 32;
        private const int MaxStatusPairs = 16;
        private const int MaxNoise = 256;

        private readonly Dictionary<string, long> _fields = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string[] Fields, long Count)> _signatures = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Source, int Target), long> _statusPairs = [];
        private readonly Dictionary<string, List<MirrorSample>> _samples = new(StringComparer.Ordinal);
        private readonly LatencySketch _source = new();
        private readonly LatencySketch _target = new();
        private long _statusMatches;
        private long _bodyCompared;
        private long _bodyExactMatches;
        private long _bodyNotCompared;
        private long _overflowMismatches;
        private long _targetErrors;
        private long _noiseSamples;

        public string Name { get; } = name;

        public long Copies { get; private set; }

        public HashSet<string> Noise { get; } = new(StringComparer.Ordinal);

        public void Record(CopyResult r)
        {
            Copies++;
            _source.Record(r.SourceLatency);
            if (r.TargetLatency is { } t)
            {
                _target.Record(t);
            }

            if (r.Outcome == MirrorOutcome.TargetError)
            {
                _targetErrors++;
            }
            else if (r.TargetStatus == r.SourceStatus)
            {
                _statusMatches++;
                if (!r.BodyCompared)
                {
                    _bodyNotCompared++;
                }
                else
                {
                    _bodyCompared++;
                    if (r.Fields.Count == 0)
                    {
                        _bodyExactMatches++;
                    }
                    else
                    {
                        Signature(r.Fields);
                    }
                }
            }
            else if (r.TargetStatus is { } target && (_statusPairs.ContainsKey((r.SourceStatus, target)) || _statusPairs.Count < MaxStatusPairs))
            {
                _statusPairs[(r.SourceStatus, target)] = _statusPairs.GetValueOrDefault((r.SourceStatus, target)) + 1;
            }

            foreach (var field in r.Fields)
            {
                if (_fields.ContainsKey(field) || _fields.Count < MaxFields)
                {
                    _fields[field] = _fields.GetValueOrDefault(field) + 1;
                }
            }

            if (r.Sample is { } sample)
            {
                Keep(sample);
            }
        }

        private void Keep(MirrorSample sample)
        {
            if (!_samples.TryGetValue(sample.Kind, out var list))
            {
                _samples[sample.Kind] = list = [];
            }

            if (list.Count < SamplesPerKind)
            {
                list.Add(sample);
            }
        }

        private void Signature(IReadOnlyList<string> fields, long copies = 1)
        {
            var sorted = fields.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var key = string.Join('\n', sorted);
            if (_signatures.TryGetValue(key, out var s))
            {
                _signatures[key] = (s.Fields, s.Count + copies);
            }
            else if (_signatures.Count < MaxSignatures)
            {
                _signatures[key] = (sorted, copies);
            }
            else
            {
                _overflowMismatches += copies;
            }
        }

        public void Learn(IReadOnlyCollection<string> fields)
        {
            _noiseSamples++;
            foreach (var f in fields)
            {
                if (Noise.Count < MaxNoise)
                {
                    Noise.Add(f);
                }
            }
        }

        private bool IsNoise(string field) => Noise.Contains(field);

        public MirrorGroupState Export() => new(
            Name,
            _error,
            Copies,
            _statusMatches,
            _bodyCompared,
            _bodyExactMatches,
            _bodyNotCompared,
            _overflowMismatches,
            _targetErrors,
            _noiseSamples,
            new Dictionary<string, long>(_fields, StringComparer.Ordinal),
            [.. _signatures.Values.Select(v => new MirrorSignatureState(v.Fields, v.Count))],
            [.. _statusPairs.Select(p => new MirrorStatusPair(p.Key.Source, p.Key.Target, p.Value))],
            [.. Noise.Order(StringComparer.Ordinal)],
            [.. _samples.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.Value)],
            _source.Buckets(),
            _target.Buckets());

        /// <summary>Adds another count of the same group, within the same caps as counting.</summary>
        public void Add(MirrorGroupState state)
        {
            Copies += state.Copies;
            _error += state.Error;
            _statusMatches += state.StatusMatches;
            _bodyCompared += state.BodiesCompared;
            _bodyExactMatches += state.BodyExactMatches;
            _bodyNotCompared += state.BodiesNotCompared;
            _overflowMismatches += state.OverflowMismatches;
            _targetErrors += state.TargetErrors;
            _noiseSamples += state.NoiseSamples;
            _source.Add(state.Source);
            _target.Add(state.Target);
            foreach (var (field, copies) in state.Fields)
            {
                if (_fields.ContainsKey(field) || _fields.Count < MaxFields)
                {
                    _fields[field] = _fields.GetValueOrDefault(field) + copies;
                }
            }

            foreach (var signature in state.Signatures)
            {
                Signature(signature.Fields, signature.Copies);
            }

            foreach (var pair in state.StatusPairs)
            {
                if (_statusPairs.ContainsKey((pair.Source, pair.Target)) || _statusPairs.Count < MaxStatusPairs)
                {
                    _statusPairs[(pair.Source, pair.Target)] = _statusPairs.GetValueOrDefault((pair.Source, pair.Target)) + pair.Copies;
                }
            }

            foreach (var field in state.Noise)
            {
                if (Noise.Count < MaxNoise)
                {
                    Noise.Add(field);
                }
            }

            foreach (var sample in state.Samples)
            {
                Keep(sample);
            }
        }

        private long BodyMatches() => _bodyExactMatches + _signatures.Values.Where(s => s.Fields.All(IsNoise)).Sum(s => s.Count);

        public long BodyMismatches() => _bodyCompared - BodyMatches();

        public PathGroupReadiness Readiness() => new(
            Name,
            Copies,
            _statusMatches,
            BodyMatches() + _bodyNotCompared,
            _targetErrors,
            _source.Quantile(0.99) is { } s ? TimeSpan.FromSeconds(s) : null,
            _target.Quantile(0.99) is { } t ? TimeSpan.FromSeconds(t) : null);

        public MirrorGroupReport Snapshot()
        {
            var samples = _samples.OrderBy(s => s.Key, StringComparer.Ordinal)
                .SelectMany(s => s.Value.Where(v => v.Kind != "body" || v.Differences.Count == 0 || v.Differences.Any(d => !IsNoise(d.Field))))
                .ToList();
            return new MirrorGroupReport(
                Name,
                Copies,
                _error,
                _statusMatches,
                Ratio(_statusMatches, Copies),
                _bodyCompared,
                BodyMatches(),
                BodyMismatches(),
                _bodyNotCompared,
                _targetErrors,
                Ms(_source.Quantile(0.5)),
                Ms(_source.Quantile(0.99)),
                Ms(_target.Quantile(0.5)),
                Ms(_target.Quantile(0.99)),
                LatencyRatio(_source, _target),
                [.. _fields.Where(f => !IsNoise(f.Key)).OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal).Select(f => new MirrorFieldCount(f.Key, f.Value))],
                [.. _statusPairs.OrderByDescending(p => p.Value).Select(p => new MirrorStatusPair(p.Key.Source, p.Key.Target, p.Value))],
                [.. Noise.Order(StringComparer.Ordinal)],
                _noiseSamples,
                samples);
        }
    }
}

/// <summary>The readiness of one cutover's target: what <c>GET /api/cutovers/{name}/readiness</c> answers.</summary>
internal sealed record MirrorReport(
    string Cutover,
    DateTimeOffset At,
    long Copies,
    long Matches,
    long StatusMatches,
    long StatusMismatches,
    long BodyMismatches,
    long TargetErrors,
    long Dropped,
    long NoiseSamples,
    double? StatusMatchRatio,
    double? SourceP50Ms,
    double? SourceP99Ms,
    double? TargetP50Ms,
    double? TargetP99Ms,
    double? LatencyRatioP99,
    long GroupsEvicted,
    IReadOnlyList<MirrorGroupReport> Groups);

/// <summary>
/// One path group. <see cref="CopiesError"/> is the Space-Saving error: copies of groups that lost their slot to this
/// one, an upper bound of what this group may be missing (0: exact).
/// </summary>
internal sealed record MirrorGroupReport(
    string Group,
    long Copies,
    long CopiesError,
    long StatusMatches,
    double? StatusMatchRatio,
    long BodiesCompared,
    long BodyMatches,
    long BodyMismatches,
    long BodiesNotCompared,
    long TargetErrors,
    double? SourceP50Ms,
    double? SourceP99Ms,
    double? TargetP50Ms,
    double? TargetP99Ms,
    double? LatencyRatioP99,
    IReadOnlyList<MirrorFieldCount> DifferingFields,
    IReadOnlyList<MirrorStatusPair> StatusMismatches,
    IReadOnlyList<string> NoiseFields,
    long NoiseSamples,
    IReadOnlyList<MirrorSample> Samples);

internal sealed record MirrorFieldCount(string Field, long Copies);

internal sealed record MirrorStatusPair(int Source, int Target, long Copies);
