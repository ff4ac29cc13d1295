namespace DnsBridge.State;

/// <summary>
/// A database's write health, kept the same way by every provider: a failed write is reported here and never thrown
/// (forwarding must not stop because the state cannot be written), the first failure of a run of failures is logged
/// once, and the first success after it logs the recovery. Each provider logs with its own event ids.
/// </summary>
internal sealed class StateWriteProblem(Action logRecovered, Action<string> logFailed)
{
    private readonly Lock _gate = new();
    private string? _problem;

    /// <summary>Why the last write failed; null when it succeeded.</summary>
    public string? Current => _problem;

    /// <summary>A write attempted after the database was closed (a last tick on the way out): a failed write, not a crash.</summary>
    public bool Closed()
    {
        _problem = "closed";
        return false;
    }

    public bool Succeeded()
    {
        lock (_gate)
        {
            if (_problem is not null)
            {
                logRecovered();
            }

            _problem = null;
        }

        return true;
    }

    public bool Failed(string message)
    {
        lock (_gate)
        {
            if (_problem is null)
            {
                logFailed(message);
            }

            _problem = $"write failed: {message}";
        }

        return false;
    }
}
