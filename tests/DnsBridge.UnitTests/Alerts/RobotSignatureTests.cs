using DnsBridge.Alerts.Formats;

namespace DnsBridge.UnitTests.Alerts;

/// <summary>
/// The signatures against the vectors in the research note (computed with DingTalk's documented Python sample and
/// Feishu's documented algorithm; re-checked here with Python's hmac before being written down).
/// </summary>
public sealed class RobotSignatureTests
{
    [Fact]
    public void DingTalk_signs_milliseconds_with_the_secret_as_key_and_url_encodes_once()
    {
        var (timestamp, sign) = RobotSignatures.DingTalk("SECtestsecret", DateTimeOffset.FromUnixTimeMilliseconds(1700000000000));

        Assert.Equal("1700000000000", timestamp);
        Assert.Equal("7LVwF0dAF3%2F%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D", sign);
    }

    [Fact]
    public void Feishu_signs_seconds_with_timestamp_and_secret_as_key_over_nothing_and_does_not_url_encode()
    {
        var (timestamp, sign) = RobotSignatures.Feishu("SECtestsecret", DateTimeOffset.FromUnixTimeSeconds(1700000000));

        Assert.Equal("1700000000", timestamp);
        Assert.Equal("qctwDqaazOo8xxU2d5mAVhFAk6TEeaDHQUh0YMWFIL8=", sign);
    }

    [Fact]
    public void Each_attempt_signs_its_own_time_so_a_retry_an_hour_later_is_not_refused()
    {
        var first = RobotSignatures.DingTalk("s", DateTimeOffset.FromUnixTimeMilliseconds(1700000000000));
        var later = RobotSignatures.DingTalk("s", DateTimeOffset.FromUnixTimeMilliseconds(1700000000000) + TimeSpan.FromMinutes(61));

        Assert.Equal("1700003660000", later.Timestamp);
        Assert.NotEqual(first.Sign, later.Sign);
    }
}
