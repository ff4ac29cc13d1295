using System.Net;
using DnsBridge.Alerts;
using DnsBridge.Alerts.Formats;

namespace DnsBridge.UnitTests.Alerts;

/// <summary>
/// The robots answer HTTP 200 whatever happened: the code in the body decides. Configuration errors (signature,
/// keyword, token, IP allowlist) fail at once, rate limits and unknown codes are retried (research note §4-§6).
/// </summary>
public sealed class RobotAnswerTests
{
    [Theory]
    [InlineData("""{"errcode":0,"errmsg":"ok"}""", SendVerdict.Delivered)]
    [InlineData("""{"errcode":310000,"errmsg":"sign not match"}""", SendVerdict.Rejected)]
    [InlineData("""{"errcode":300001,"errmsg":"token is not exist"}""", SendVerdict.Rejected)]
    [InlineData("""{"errcode":460101,"errmsg":"body too large"}""", SendVerdict.Rejected)]
    [InlineData("""{"errcode":130101,"errmsg":"send too fast"}""", SendVerdict.Retry)]
    [InlineData("""{"errcode":-1,"errmsg":"system busy"}""", SendVerdict.Retry)]
    [InlineData("<html>proxy</html>", SendVerdict.Retry)]
    internal void DingTalk(string body, SendVerdict verdict) =>
        Assert.Equal(verdict, new DingTalkBody().Judge(HttpStatusCode.OK, body)!.Verdict);

    [Fact]
    public void DingTalk_rate_limit_waits_out_its_ten_minute_block()
    {
        var outcome = new DingTalkBody().Judge(HttpStatusCode.OK, """{"errcode":130101,"errmsg":"send too fast"}""")!;

        Assert.Equal(TimeSpan.FromMinutes(10), outcome.RetryAfter);
        Assert.Contains("130101", outcome.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200, """{"code":0,"msg":"success","data":{}}""", SendVerdict.Delivered)]
    [InlineData(200, """{"StatusCode":0,"StatusMessage":"success"}""", SendVerdict.Delivered)]
    [InlineData(200, """{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}""", SendVerdict.Rejected)]
    [InlineData(200, """{"code":19024,"msg":"Key Words Not Found"}""", SendVerdict.Rejected)]
    [InlineData(400, """{"code":9499,"msg":"Bad Request"}""", SendVerdict.Rejected)]
    [InlineData(400, """{"code":9499,"msg":"too many request"}""", SendVerdict.Retry)]
    [InlineData(200, """{"code":11232,"msg":"frequency limited"}""", SendVerdict.Retry)]
    internal void Feishu(int status, string body, SendVerdict verdict) =>
        Assert.Equal(verdict, new FeishuBody().Judge((HttpStatusCode)status, body)!.Verdict);

    [Theory]
    [InlineData("""{"errcode":0,"errmsg":"ok"}""", SendVerdict.Delivered)]
    [InlineData("""{"errcode":93000,"errmsg":"invalid webhook url"}""", SendVerdict.Rejected)]
    [InlineData("""{"errcode":45009,"errmsg":"api freq out of limit"}""", SendVerdict.Retry)]
    internal void WeCom(string body, SendVerdict verdict) =>
        Assert.Equal(verdict, new WeComBody().Judge(HttpStatusCode.OK, body)!.Verdict);

    [Fact]
    public void A_5xx_from_a_robot_is_left_to_the_status_rule()
    {
        Assert.Null(new DingTalkBody().Judge(HttpStatusCode.BadGateway, "bad gateway"));
        Assert.Null(new WeComBody().Judge(HttpStatusCode.ServiceUnavailable, ""));
        Assert.Null(new FeishuBody().Judge(HttpStatusCode.ServiceUnavailable, ""));
    }

    [Fact]
    public void WeCom_content_is_cut_by_utf8_bytes_not_characters()
    {
        var cut = WeComBody.CutBytes(new string('迁', 2000), 4096);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(cut) <= 4096);
        Assert.EndsWith("…", cut, StringComparison.Ordinal);
    }
}
