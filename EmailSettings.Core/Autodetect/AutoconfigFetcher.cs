using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace EmailSettings.Core.Autodetect;

/// <summary>What fetching one configuration file gave: its bytes, or the reason there are none.</summary>
/// <param name="Reason">Lower-case reason without the host ("the file is larger than 128 KB"); null when found.</param>
/// <param name="Https">True when the file and every redirect before it came over HTTPS.</param>
internal sealed record FetchedFile(StepOutcome Outcome, byte[]? Content, string? Reason, bool Https);

/// <summary>
/// Fetches autoconfig and ISPDB files with the "Autodetect" HttpClient: one time limit per file (redirects
/// included), a size cap on what is read, and redirects followed by hand so that a loop or a long chain ends
/// with a clear reason.
/// </summary>
internal sealed class AutoconfigFetcher(IHttpClientFactory httpClientFactory, AutodetectOptions options, TimeProvider time)
{
    public async Task<FetchedFile> FetchAsync(Uri url, bool allowPrivateNetwork, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        var client = httpClientFactory.CreateClient(AutodetectRegistration.HttpClientName);
        var visited = new List<Uri>();
        var current = url;
        var https = true;
        try
        {
            while (true)
            {
                https &= current.Scheme == Uri.UriSchemeHttps;
                visited.Add(current);
                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.Accept.ParseAdd("application/xml, text/xml;q=0.9, */*;q=0.1");
                request.Options.Set(AutodetectRegistration.AllowPrivateNetwork, allowPrivateNetwork);
                using var response = await SendWithinLimitAsync(client, request, linked.Token);
                if (IsRedirect(response.StatusCode))
                {
                    var next = response.Headers.Location is { } location ? new Uri(current, location) : null;
                    if (next is null || (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp))
                    {
                        return Failed("redirects to an invalid location");
                    }
                    if (visited.Any(v => Uri.Compare(v, next, UriComponents.HttpRequestUrl, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0))
                    {
                        return Failed($"redirects in a loop ({string.Join(" → ", visited.Append(next).Select(u => u.Host + u.AbsolutePath))}); stopped");
                    }
                    if (visited.Count > options.MaxRedirects)
                    {
                        return Failed($"redirected more than {options.MaxRedirects} times; stopped");
                    }
                    current = next;
                    continue;
                }
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                {
                    return new FetchedFile(StepOutcome.NotFound, null, $"no file there (HTTP {(int)response.StatusCode})", https);
                }
                if (!response.IsSuccessStatusCode)
                {
                    return Failed($"answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());
                }
                if (response.Content.Headers.ContentLength > options.MaxFileBytes)
                {
                    return Failed(TooLarge());
                }
                var content = await ReadCappedAsync(response.Content, linked.Token).WaitAsync(linked.Token);
                return content is null ? Failed(TooLarge()) : new FetchedFile(StepOutcome.Found, content, null, https);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new FetchedFile(StepOutcome.TimedOut, null, $"no answer within {Seconds(options.RequestTimeout)}", https);
        }
        catch (HttpRequestException e)
        {
            return Classify(e, https);
        }
        catch (IOException e)
        {
            return Failed($"the connection broke ({e.Message})");
        }

        FetchedFile Failed(string reason) => new(StepOutcome.Failed, null, reason, https);
    }

    /// <summary>
    /// SendAsync, bounded by the token even where a handler (connect step, DNS) notices cancellation late;
    /// a response that still arrives after giving up is disposed.
    /// </summary>
    private static async Task<HttpResponseMessage> SendWithinLimitAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sending = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            return await sending.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _ = sending.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    internal static string Seconds(TimeSpan span) => span.TotalSeconds >= 1 && span.TotalSeconds % 1 == 0
        ? $"{span.TotalSeconds:0} s"
        : $"{span.TotalMilliseconds:0} ms";

    private string TooLarge() => $"the file is larger than {options.MaxFileBytes / 1024} KB; ignored";

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>The body, or null when it is larger than the cap (never reads more than cap + 1 bytes).</summary>
    private async Task<byte[]?> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > options.MaxFileBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static FetchedFile Classify(HttpRequestException e, bool https)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case PrivateNetworkRefusedException refused:
                    return new FetchedFile(StepOutcome.Failed, null, refused.Message, https);
                case AuthenticationException:
                    return new FetchedFile(StepOutcome.Failed, null, "its TLS certificate is not valid for this name or not trusted", https);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return new FetchedFile(StepOutcome.NotFound, null, "no such host", https);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new FetchedFile(StepOutcome.NotFound, null, "connection refused", https);
            }
        }
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => new FetchedFile(StepOutcome.NotFound, null, "no such host", https),
            HttpRequestError.SecureConnectionError => new FetchedFile(StepOutcome.Failed, null, "the TLS connection failed", https),
            HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse => new FetchedFile(StepOutcome.Failed, null, "the server sent no valid HTTP answer", https),
            _ => new FetchedFile(StepOutcome.Failed, null, $"could not connect ({e.Message})", https),
        };
    }
}

/// <summary>Thrown by the production connect callback when a host resolves only to loopback or private addresses.</summary>
internal sealed class PrivateNetworkRefusedException(string host)
    : IOException($"{host} resolves only to loopback or private network addresses, which are not contacted (Autodetect:AllowPrivateNetworks)");
