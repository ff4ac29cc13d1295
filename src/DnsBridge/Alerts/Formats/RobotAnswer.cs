using System.Text.Json;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// The JSON answer of the Chinese robots, which say HTTP 200 whatever happened and put the verdict in a code:
/// <c>errcode</c>/<c>errmsg</c> (DingTalk, WeCom), <c>code</c>/<c>msg</c> (Feishu, formerly <c>StatusCode</c>).
/// </summary>
internal static class RobotAnswer
{
    /// <summary>The first of the given code fields present as a number, with its message; null when there is none.</summary>
    public static (long Code, string Message)? Read(string body, string[] codes, string[] messages)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(messages);
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in codes)
            {
                if (doc.RootElement.TryGetProperty(name, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var code))
                {
                    var message = messages.Select(m => doc.RootElement.TryGetProperty(m, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                        .FirstOrDefault(m => m is not null) ?? "";
                    return (code, SlackBody.Cut(message, 200));
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
