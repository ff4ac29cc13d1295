using System.Net;
using System.Text;
using DnsBridge.Alerts.Formats;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts;

/// <summary>
/// One HTTP attempt to one webhook in its format: the body (signed where the format signs), the
/// <c>Idempotency-Key</c> header (the event id, for every format) and the configured headers, then the verdict from the
/// status and, for the robots that answer 200 with an error code, from the body. Redirects are never followed (the
/// client comes from <see cref="WebhookHandler"/>): the headers carry tokens for the configured URL only, so a 3xx is
/// a rejected delivery naming where it pointed. Every failure is an outcome, never an exception.
/// </summary>
internal sealed class WebhookSender(HttpClient http, TimeProvider time)
{
    // Robot answers are a few hundred bytes; a receiver streaming more is not read further.
    private const int MaxAnswerBytes = 64 * 1024;

    public async Task<SendOutcome> SendAsync(WebhookConfig webhook, AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            return await AttemptAsync(webhook, message, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only the type: an unknown exception's text may quote the URL, whose path or query is the secret.
            return new SendOutcome(SendVerdict.Retry, $"unexpected {e.GetType().Name} (retried)");
        }
    }

    private async Task<SendOutcome> AttemptAsync(WebhookConfig webhook, AlertMessage message, CancellationToken cancellationToken)
    {
        var format = WebhookFormatCatalog.For(webhook.Format);
        var (url, body) = format.Build(message, webhook, time.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", message.Id);
        request.Headers.UserAgent.ParseAdd("dnsbridge-webhook/1.0");
        foreach (var (name, value) in webhook.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpStatusCode status;
        string answer = "";
        TimeSpan? retryAfter;
        Uri? location;
        // The client's timeout ends at the headers here; the answer's body is read within the same bound, so a
        // receiver dripping its answer cannot hold the attempt.
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(http.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            status = response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta;
            location = response.Headers.Location;
            if (format.ReadsBody && (int)status is < 300 or >= 400)
            {
                answer = await ReadCappedAsync(response.Content, attempt.Token);
            }
        }
        catch (HttpRequestException ex)
        {
            return new SendOutcome(SendVerdict.Retry, ex.HttpRequestError.ToString());
        }
        catch (IOException)
        {
            return new SendOutcome(SendVerdict.Retry, "answer cut off");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendOutcome(SendVerdict.Retry, "timeout");
        }

        if ((int)status is >= 300 and < 400)
        {
            return new SendOutcome(SendVerdict.Rejected, Redirected(status, location, url));
        }

        if (format.Judge(status, answer) is { } judged)
        {
            return judged;
        }

        if ((int)status is >= 200 and < 300)
        {
            return SendOutcome.Delivered;
        }

        // A 4xx will not fix itself by asking again (except timeouts and rate limits): give up at once.
        var retry = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
        return new SendOutcome(retry ? SendVerdict.Retry : SendVerdict.Rejected, $"HTTP {(int)status}", retryAfter);
    }

    /// <summary>Where a 3xx pointed, as host and port only: a Location's path and query may carry a token too.</summary>
    private static string Redirected(HttpStatusCode status, Uri? location, string requested)
    {
        var target = location is null ? null : location.IsAbsoluteUri ? location : new Uri(new Uri(requested), location);
        var where = target is null ? "no Location" : $"Location host {target.Host}:{target.Port}";
        return $"HTTP {(int)status} redirect ({where}) not followed: configured headers and secrets go to the configured URL only; configure the URL the receiver redirects to";
    }

    private static async Task<string> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxAnswerBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
