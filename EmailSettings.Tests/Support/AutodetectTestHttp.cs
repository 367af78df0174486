using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsClient;
using EmailSettings.Core.Autodetect;

namespace EmailSettings.Tests.Support;

/// <summary>
/// The HttpClient handler the detector gets in tests, in place of the production one (through
/// <c>AddHttpClient(AutodetectRegistration.HttpClientName).ConfigurePrimaryHttpMessageHandler</c>).
/// It is the production handler with two things changed, both needed because the test hosts are not on the internet:
/// <list type="bullet">
/// <item>Connecting: a host name is resolved with the test DNS server's A records (so the DNS server is the one
/// place that says which test names exist) and only loopback answers are used; ports 443 and 80 of the production
/// URLs go to the test web server's HTTPS and HTTP ports, which are free ports because binding 443/80 on a machine
/// shared by parallel test runs is not possible. URL, Host header, SNI and the certificate's name check stay real.</item>
/// <item>Trust: the certificate chain must end at the test CA and nothing else; the name must match.</item>
/// </list>
/// Production keeps system trust and its own connect step (which refuses private addresses).
/// </summary>
public static class AutodetectTestHttp
{
    public static SocketsHttpHandler CreateHandler(AutodetectOptions options, string dnsServer, int httpsPort, int httpPort, X509ChainPolicy trust)
    {
        var handler = AutodetectRegistration.CreateHandler(options);
        var dns = new LookupClient(new LookupClientOptions(new NameServer(IPEndPoint.Parse(dnsServer)))
        {
            // TCP: on a loaded machine a UDP datagram can be dropped, and a test must not depend on that.
            UseTcpOnly = true,
            UseCache = false,
            Retries = 0,
            Timeout = TimeSpan.FromSeconds(5),
        });
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var answer = await dns.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
            var address = answer.Answers.ARecords().Select(a => a.Address).FirstOrDefault()
                ?? throw new SocketException((int)SocketError.HostNotFound, $"{host}: no A record at the test DNS server");
            if (!IPAddress.IsLoopback(address))
            {
                throw new InvalidOperationException($"The test DNS server sent {host} to {address}; tests only connect to loopback.");
            }
            var port = context.DnsEndPoint.Port switch
            {
                443 => httpsPort,
                80 => httpPort,
                var other => other,
            };
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = trust };
        return handler;
    }
}
