using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A real nginx (Debian package <c>nginx</c>) in front of the given nodes, running the README's sample configuration
/// (<c>docs/nginx/emailsettings.conf</c>) with only its node addresses and its port replaced, in the foreground from a
/// temp folder. Its access log names, per request, the affinity it routed by and the node it chose.
/// </summary>
public sealed partial class NginxServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string root;

    private NginxServer(Process process, string root, int port)
    {
        this.process = process;
        this.root = root;
        BaseUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
    }

    public Uri BaseUri { get; }

    public string BaseUrl => BaseUri.ToString().TrimEnd('/');

    private string AccessLog => Path.Combine(root, "access.log");

    /// <summary>The repository's sample configuration file.</summary>
    public static string SampleConfiguration
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "docs", "nginx", "emailsettings.conf");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new FileNotFoundException("docs/nginx/emailsettings.conf not found above the test output folder.");
        }
    }

    public static async Task<NginxServer> StartAsync(IReadOnlyList<Uri> nodes)
    {
        ExternalServers.Starting("nginx");
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
            : throw new InvalidOperationException("nginx is missing at /usr/sbin/nginx: install it with `apt-get install nginx` (test.sh does this).");
        var root = TempFolder.Create("emailsettings-nginx");
        var port = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(root, "emailsettings.conf"), Adapt(await File.ReadAllTextAsync(SampleConfiguration), nodes, port));
        await File.WriteAllTextAsync(Path.Combine(root, "nginx.conf"), $$"""
            # The frame around the sample: what /etc/nginx/nginx.conf gives it on a server, in a temp folder.
            user root;
            worker_processes 1;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log warn;
            events { worker_connections 256; }
            http {
                client_body_temp_path {{root}}/client_body;
                proxy_temp_path {{root}}/proxy;
                fastcgi_temp_path {{root}}/fastcgi;
                uwsgi_temp_path {{root}}/uwsgi;
                scgi_temp_path {{root}}/scgi;
                log_format routing '$emailsettings_affinity $upstream_addr $status "$request"';
                access_log {{root}}/access.log routing;
                include {{root}}/emailsettings.conf;
            }
            """);
        var start = new ProcessStartInfo(nginx, ["-p", root, "-c", Path.Combine(root, "nginx.conf"), "-g", "daemon off;"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var server = new NginxServer(Process.Start(start)!, root, port);
        try
        {
            await server.WaitUntilListeningAsync(port);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sample with its example nodes replaced by <paramref name="nodes"/> and its port by <paramref name="port"/>; nothing else changes.</summary>
    internal static string Adapt(string sample, IReadOnlyList<Uri> nodes, int port)
    {
        var servers = ExampleNode().Matches(sample);
        if (servers.Count != 2 || !sample.Contains("    listen 80;\n", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The sample no longer has two example nodes and \"listen 80;\": update NginxServer.Adapt with it.");
        }
        var first = servers[0];
        var lines = string.Join("\n", nodes.Select(n => $"    server 127.0.0.1:{n.Port} max_fails=1 fail_timeout=10s;"));
        var adapted = sample[..first.Index] + lines + "\n" + sample[(servers[^1].Index + servers[^1].Length)..];
        return adapted.Replace("    listen 80;\n", $"    listen 127.0.0.1:{port};\n", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"    server 10\.0\.0\.\d+:8080 max_fails=1 fail_timeout=10s;\n")]
    private static partial Regex ExampleNode();

    /// <summary>Every request so far: the affinity nginx routed by, the node (host:port) it chose, the status and the request line.</summary>
    public IReadOnlyList<(string Affinity, int NodePort, int Status, string Request)> Requests() =>
        (File.Exists(AccessLog) ? File.ReadAllLines(AccessLog) : [])
            .Select(line => AccessLine().Match(line))
            .Where(m => m.Success)
            .Select(m => (m.Groups["affinity"].Value, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture), m.Groups["request"].Value))
            .ToList();

    [GeneratedRegex(@"^(?<affinity>\S+) 127\.0\.0\.1:(?<port>\d+) (?<status>\d+) ""(?<request>[^""]*)""$")]
    private static partial Regex AccessLine();

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with code {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        TempFolder.Delete(root);
    }
}
