namespace DnsBridge.Cli;

/// <summary>Exit codes shared by every verb (DESIGN.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int NoAnswer = 3;
}
