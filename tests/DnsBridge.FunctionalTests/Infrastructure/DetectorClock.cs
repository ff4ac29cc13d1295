using DnsBridge.Drain;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>A fake clock moved a second at a time, as the drain detector's timer would see it.</summary>
internal static class DetectorClock
{
    /// <summary>
    /// Advances <paramref name="time"/> by <paramref name="seconds"/>, one second at a time, and after each waits
    /// (bounded) until the tick the timer started has finished: ticks run on a state thread, not inside Advance.
    /// </summary>
    public static void AdvanceTicking(this FakeTimeProvider time, DrainDetector detector, int seconds)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(detector);
        for (var i = 0; i < seconds; i++)
        {
            var ticks = detector.Ticks;
            time.Advance(TimeSpan.FromSeconds(1));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (detector.Ticks == ticks)
            {
                Assert.True(DateTime.UtcNow < deadline, "the drain detector did not tick within 30 s of the clock advancing");
                Thread.Sleep(1);
            }
        }
    }
}
