using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Kestrel in-process on 127.0.0.1 with one HTTPS and one plain-HTTP port that stands in for many web hosts:
/// each request is routed by scheme, Host header and path ("https://autoconfig.example.test/mail/config-v1.1.xml")
/// to what the test registered; anything else gets 404. HTTPS uses the certificate the selector returns for the
/// SNI name, so clients see real host-name checks. Every request is logged with its query.
/// </summary>
public sealed class AutoconfigWebServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RequestDelegate> routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> directories = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> requests = new();
    private readonly WebApplication app;

    private AutoconfigWebServer(WebApplication app) => this.app = app;

    public int HttpsPort { get; private set; }
    public int HttpPort { get; private set; }

    /// <summary>Every request so far as "https://host/path?query".</summary>
    public IReadOnlyCollection<string> Requests => requests.ToArray();

    /// <summary>Stopping: handlers that hang until the client gives up also end here.</summary>
    public CancellationToken Stopping => app.Lifetime.ApplicationStopping;

    public static async Task<AutoconfigWebServer> StartAsync(Func<string?, X509Certificate2> certificateFor)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(h => h.ServerCertificateSelector = (_, name) => certificateFor(name)));
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var server = new AutoconfigWebServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
        {
            var uri = new Uri(address);
            if (uri.Scheme == Uri.UriSchemeHttps)
            {
                server.HttpsPort = uri.Port;
            }
            else
            {
                server.HttpPort = uri.Port;
            }
        }
        return server;
    }

    /// <summary>Answers requests for this URL (scheme, host and path; the query is ignored).</summary>
    public AutoconfigWebServer Serve(string url, RequestDelegate handler)
    {
        routes[Key(new Uri(url))] = handler;
        return this;
    }

    public AutoconfigWebServer ServeXml(string url, string xml) => Serve(url, Xml(xml));

    /// <summary>Serves the files of <paramref name="directory"/> under the URL prefix, the way the ISPDB serves one file per domain.</summary>
    public AutoconfigWebServer ServeDirectory(string urlPrefix, string directory)
    {
        directories[urlPrefix.TrimEnd('/') + "/"] = directory;
        return this;
    }

    public static RequestDelegate Xml(string xml) => async context =>
    {
        context.Response.ContentType = "text/xml; charset=utf-8";
        await context.Response.WriteAsync(xml, Encoding.UTF8);
    };

    public static RequestDelegate Redirect(string location) => context =>
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    /// <summary>Streams <paramref name="bytes"/> bytes of XML-looking text, without a Content-Length.</summary>
    public static RequestDelegate Endless(long bytes) => async context =>
    {
        context.Response.ContentType = "text/xml";
        var chunk = Encoding.ASCII.GetBytes("<clientConfig>" + new string(' ', 8178));
        try
        {
            for (long sent = 0; sent < bytes && !context.RequestAborted.IsCancellationRequested; sent += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The client stopped reading, as it should.
        }
        catch (IOException)
        {
            // Likewise: the connection was closed under the write.
        }
    };

    /// <summary>Never answers: waits until the client gives up or the server stops.</summary>
    public RequestDelegate Hang() => async context =>
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, Stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up: that is the point.
        }
    };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var uri = new Uri($"{request.Scheme}://{request.Host.Host}{request.Path}{request.QueryString}");
        requests.Enqueue(uri.ToString());
        if (routes.TryGetValue(Key(uri), out var handler))
        {
            await handler(context);
            return;
        }
        var prefix = uri.GetLeftPart(UriPartial.Path);
        foreach (var (urlPrefix, directory) in directories)
        {
            if (prefix.StartsWith(urlPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var file = Path.Combine(directory, Uri.UnescapeDataString(prefix[urlPrefix.Length..]));
                if (Path.GetDirectoryName(Path.GetFullPath(file)) == Path.GetFullPath(directory).TrimEnd('/') && File.Exists(file))
                {
                    context.Response.ContentType = "text/xml";
                    await context.Response.SendFileAsync(file);
                    return;
                }
            }
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }

    private static string Key(Uri uri) => $"{uri.Scheme}://{uri.Host}{uri.AbsolutePath}";
}
