using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// The two robot signatures, which look alike and differ in every detail (research note §4, §5): DingTalk signs
/// <c>timestamp + "\n" + secret</c> with the secret as key, in milliseconds, Base64 then URL-encoded once, in the
/// query; Feishu uses <c>timestamp + "\n" + secret</c> as the key over an empty message, in seconds, Base64 unencoded,
/// in the body. Both robots refuse a timestamp more than an hour off their clock.
/// </summary>
internal static class RobotSignatures
{
    /// <summary>DingTalk's <c>timestamp</c> (Unix milliseconds) and <c>sign</c>, already URL-encoded for the query.</summary>
    public static (string Timestamp, string Sign) DingTalk(string secret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var timestamp = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}\n{secret}"));
        return (timestamp, Uri.EscapeDataString(Convert.ToBase64String(mac)));
    }

    /// <summary>Feishu's <c>timestamp</c> (Unix seconds, as a string) and <c>sign</c> (Base64, not URL-encoded).</summary>
    public static (string Timestamp, string Sign) Feishu(string secret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes($"{timestamp}\n{secret}"), Array.Empty<byte>());
        return (timestamp, Convert.ToBase64String(mac));
    }
}
