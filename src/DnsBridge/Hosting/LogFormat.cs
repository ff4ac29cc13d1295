namespace DnsBridge.Hosting;

/// <summary>How Serilog writes to stdout: compact JSON (one event per line, for log shippers) or readable text.</summary>
internal enum LogFormat
{
    Json,
    Text,
}
