using System.Text.Json.Serialization;

namespace DnsBridge.Preflight;

/// <summary>Spelled PASS / WARN / FAIL everywhere: table, Markdown, JSON (pipelines match on it) and the status page.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PreflightStatus>))]
internal enum PreflightStatus
{
    [JsonStringEnumMemberName("PASS")]
    Pass,

    [JsonStringEnumMemberName("WARN")]
    Warn,

    [JsonStringEnumMemberName("FAIL")]
    Fail,
}

/// <summary>One row of the pre-cutover checklist: what was checked, what was found, and what to do about it.</summary>
internal sealed record PreflightResult(
    string Cutover,
    string Area,
    string Check,
    string? Subject,
    PreflightStatus Status,
    string Found,
    string? Action,
    double? Milliseconds = null);

/// <summary>The checklist of one run.</summary>
internal sealed record PreflightReport(DateTimeOffset At, IReadOnlyList<PreflightResult> Results)
{
    public PreflightStatus Overall => Results.Count == 0 ? PreflightStatus.Pass : Results.Max(r => r.Status);

    public int Count(PreflightStatus status) => Results.Count(r => r.Status == status);
}
