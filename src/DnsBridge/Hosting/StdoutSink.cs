using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace DnsBridge.Hosting;

/// <summary>
/// Writes log events to stdout through a 64 KiB buffer flushed every 200 ms (and on stop), instead of
/// Console.Out's write-and-flush per line: with one access-log event per forwarded request, a system call per
/// event cost about 45% of the forwarder's throughput (measured, see docs/performance.md). Runs behind
/// <see cref="LogBuffer"/>, so a single thread writes. The flushes run on a thread of their own: when stdout stops draining (a stuck
/// log shipper, a full pipe) a write blocks for good, and a thread-pool timer would then strand a pool thread every
/// 200 ms until the forwarder itself starved.
/// </summary>
internal sealed class StdoutSink : ILogEventSink, IDisposable
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(200);
    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _writer;
    private static readonly TimeSpan FinalFlushWait = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _flusher;
    private bool _disposed;

    public StdoutSink(ITextFormatter formatter, Stream? output = null)
    {
        _formatter = formatter;
        _writer = new StreamWriter(output ?? Console.OpenStandardOutput(), new UTF8Encoding(false), 65536) { AutoFlush = false };
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "dnsbridge stdout flush" };
        _flusher.Start();
    }

    private void FlushLoop()
    {
        while (!_stop.Token.WaitHandle.WaitOne(FlushEvery))
        {
            Flush();
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _formatter.Format(logEvent, _writer);
            }
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _writer.Flush();
            }
            catch (IOException)
            {
                // stdout closed (the reader went away): nothing else to do with logs.
            }
        }
    }

    // Serilog and the host may both dispose the logger on the way out: the second call must be harmless. A stdout
    // that does not drain must not hold up the exit: the last flush gets a second, then what is left is let go.
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        var last = new Thread(() =>
        {
            Flush();
            lock (_gate)
            {
                _disposed = true;
                _writer.Dispose();
            }
        })
        { IsBackground = true };
        last.Start();
        last.Join(FinalFlushWait);
    }
}
