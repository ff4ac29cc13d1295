using DnsBridge.Events;
using Prometheus;

namespace DnsBridge.Phases;

/// <summary>
/// One cutover's phase as the request path reads it, and the one awaitable that completes when it changes. A held
/// request awaits <see cref="Generation.Changed"/> of the generation it saw: one task per phase change, shared by every held
/// request; no polling, no thread blocked. Null phase: not known yet (the store was not readable at start), which
/// the request path treats like <c>frozen</c>: nothing reaches either side until it is known.
/// </summary>
internal sealed class PhaseCell
{
    private readonly Lock _gate = new();
    private volatile Generation _current = new(null, NewSource());
    private int _held;

    internal PhaseCell(string cutover, Counter held)
    {
        Cutover = cutover;
        Released = held.WithLabels(cutover, "released");
        Rejected = held.WithLabels(cutover, "rejected");
    }

    public string Cutover { get; }

    public CutoverPhase? Phase => _current.Phase;

    /// <summary>The current generation: its phase and the task that completes when the next one replaces it.</summary>
    public Generation Current => _current;

    /// <summary>Requests being held now.</summary>
    public int Held => Volatile.Read(ref _held);

    public Counter.Child Released { get; }

    public Counter.Child Rejected { get; }

    /// <summary>True when the phase changed (and every request waiting on the old generation was woken).</summary>
    internal bool Set(CutoverPhase phase)
    {
        lock (_gate)
        {
            var old = _current;
            if (old.Phase == phase)
            {
                return false;
            }

            _current = new Generation(phase, NewSource());
            old.Next.TrySetResult();
            return true;
        }
    }

    /// <summary>Takes a hold slot; false (nothing taken) when <paramref name="max"/> requests are held already.</summary>
    public bool TryHold(int max)
    {
        if (Interlocked.Increment(ref _held) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref _held);
        return false;
    }

    public void Unhold() => Interlocked.Decrement(ref _held);

    /// <summary>
    /// The phase a request or a new connection follows: at once unless frozen (or not known yet); then it waits on the
    /// generation's one awaitable up to <paramref name="hold"/>, with at most <paramref name="maxHeld"/> waiting at once.
    /// Counts <see cref="Released"/> and <see cref="Rejected"/> (held too long, or no slot); a wait cancelled by
    /// <paramref name="cancellationToken"/> is neither, the caller decides what it means.
    /// </summary>
    public async ValueTask<Hold> HoldAsync(TimeSpan hold, int maxHeld, TimeProvider time, CancellationToken cancellationToken)
    {
        var generation = Current;
        if (generation.Phase is { } known && known != CutoverPhase.Frozen)
        {
            return new Hold(HoldOutcome.NotHeld, known);
        }

        if (!TryHold(maxHeld))
        {
            Rejected.Inc();
            return new Hold(HoldOutcome.Rejected, null);
        }

        try
        {
            var started = time.GetTimestamp();
            while (generation.Phase is null or CutoverPhase.Frozen)
            {
                var left = hold - time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    Rejected.Inc();
                    return new Hold(HoldOutcome.Rejected, null);
                }

                try
                {
                    await generation.Changed.WaitAsync(left, time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    Rejected.Inc();
                    return new Hold(HoldOutcome.Rejected, null);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return new Hold(HoldOutcome.Cancelled, null);
                }

                generation = Current;
            }

            Released.Inc();
            return new Hold(HoldOutcome.Released, generation.Phase);
        }
        finally
        {
            Unhold();
        }
    }

    // Continuations run on the thread pool, never inline on the thread that changes the phase.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What <see cref="HoldAsync"/> decided: the phase to follow (null unless not held or released).</summary>
    internal readonly record struct Hold(HoldOutcome Outcome, CutoverPhase? Phase);

    internal enum HoldOutcome
    {
        /// <summary>Not frozen: followed at once.</summary>
        NotHeld,

        /// <summary>Held, then the phase changed: follow the new one.</summary>
        Released,

        /// <summary>Held past <c>Freeze.Hold</c>, or beyond <c>Freeze.MaxHeld</c>: answer 503 or close.</summary>
        Rejected,

        /// <summary>The wait was cancelled (the client left, or the process is stopping).</summary>
        Cancelled,
    }

    /// <summary>One phase generation.</summary>
    internal sealed class Generation(CutoverPhase? phase, TaskCompletionSource next)
    {
        public CutoverPhase? Phase { get; } = phase;

        internal TaskCompletionSource Next { get; } = next;

        /// <summary>Completes when the phase changes.</summary>
        public Task Changed => Next.Task;
    }
}
