using System.Diagnostics;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>Stopping a server the tests started (dnsmasq, nsd): killed if still running, waited for, released.</summary>
internal static class ServerProcess
{
    public static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped: nothing left to stop.
        }

        process.Dispose();
    }
}
