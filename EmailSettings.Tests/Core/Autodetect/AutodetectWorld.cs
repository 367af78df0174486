using System.Net;
using System.Security.Cryptography.X509Certificates;
using ARSoft.Tools.Net.Dns;
using EmailSettings.Core.Autodetect;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Tests.Core.Autodetect;

[CollectionDefinition(Name)]
public sealed class AutodetectCollection : ICollectionFixture<AutodetectWorld>
{
    public const string Name = "Autodetect";
}

/// <summary>
/// A small internet on loopback for settings detection: a DNS server (A, MX, SRV), one Kestrel server standing in for
/// every autoconfig host over HTTPS (certificates from a test CA) and plain HTTP, and a local ISPDB directory served
/// at https://ispdb.thunderbird.test/v1.1/. Each test domain below is one situation; tests use distinct domains.
/// </summary>
public sealed class AutodetectWorld : IAsyncLifetime
{
    public const string IspdbUrl = "https://ispdb.thunderbird.test/v1.1/";

    /// <summary>Every web host of the world; all resolve to 127.0.0.1 and are in the test CA's certificate, except untrusted.test's.</summary>
    private static readonly string[] WebHosts =
    [
        "ispdb.thunderbird.test",
        "autoconfig.own.test", "own.test",
        "wellknown.test", "autoconfig.wellknown.test",
        "autoconfig.plainhttp.test", "plainhttp.test",
        "autoconfig.provider2.test", "provider2.test",
        "autoconfig.huge.test", "autoconfig.declared-huge.test", "autoconfig.malformed.test", "autoconfig.loop.test",
        "autoconfig.chain.test", "autoconfig.script.test", "autoconfig.html.test", "autoconfig.dtd.test",
        "autoconfig.untrusted.test", "autoconfig.slow.test", "slow.test", "autoconfig.slowprovider.test", "slowprovider.test",
        "autoconfig.race.test", "autoconfig.late.test", "autoconfig.oddports.test", "autoconfig.oauth.test", "autoconfig.pop.test",
    ];

    private TestCertificateAuthority ca = null!;
    private X509Certificate2 serverCertificate = null!;
    private X509Certificate2 untrustedCertificate = null!;

    public TestDnsServer Dns { get; } = new();
    public AutoconfigWebServer Web { get; private set; } = null!;
    public string IspdbDirectory { get; } = TempFolder.Create("emailsettings-ispdb");

    /// <summary>Released by a test to let https://autoconfig.race.test answer.</summary>
    public TaskCompletionSource RaceGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        ca = TestCertificateAuthority.Create();
        serverCertificate = ca.IssueServerCertificate(WebHosts.Where(h => h != "autoconfig.untrusted.test"));
        untrustedCertificate = TestCertificates.CreateSelfSigned("autoconfig.untrusted.test");
        Web = await AutoconfigWebServer.StartAsync(name => name == "autoconfig.untrusted.test" ? untrustedCertificate : serverCertificate);
        foreach (var host in WebHosts)
        {
            Dns.AddA(host, IPAddress.Loopback);
        }
        Web.ServeDirectory(IspdbUrl, IspdbDirectory);
        AddDomains();
    }

    public async Task DisposeAsync()
    {
        await Web.DisposeAsync();
        Dns.Dispose();
        serverCertificate.Dispose();
        untrustedCertificate.Dispose();
        ca.Dispose();
        TempFolder.Delete(IspdbDirectory);
    }

    /// <summary>
    /// The services a host gets from <see cref="AutodetectRegistration.AddMailSettingsAutodetect"/>, pointed at this world:
    /// DNS server, ISPDB URL and the loopback handler. <paramref name="settings"/> overrides "Autodetect:*" keys.
    /// </summary>
    public ServiceProvider CreateServices(IDictionary<string, string?>? settings = null, TimeProvider? time = null, ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(Settings(settings)).Build());
        services.AddLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null)
            {
                l.AddProvider(logs);
            }
        });
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddMailSettingsAutodetect();
        UseTestHandler(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>
    /// The configuration that points a host's detector at this world (DNS server, ISPDB URL), as "Autodetect:*" keys;
    /// <paramref name="settings"/> overrides or adds keys without the prefix ("Timeout", "Enabled").
    /// </summary>
    public Dictionary<string, string?> Settings(IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Autodetect:DnsServer"] = Dns.EndPoint,
            ["Autodetect:IspdbUrl"] = IspdbUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[$"Autodetect:{key}"] = value;
        }
        return values;
    }

    /// <summary>
    /// Gives the detector's HttpClient the loopback handler that trusts this world's CA (<see cref="AutodetectTestHttp"/>).
    /// Call after the host registered the detector (Core, Portal): the last primary handler configured wins.
    /// </summary>
    public IServiceCollection UseTestHandler(IServiceCollection services)
    {
        services.AddHttpClient(AutodetectRegistration.HttpClientName).ConfigurePrimaryHttpMessageHandler(sp =>
            AutodetectTestHttp.CreateHandler(sp.GetRequiredService<IOptions<AutodetectOptions>>().Value, Dns.EndPoint, Web.HttpsPort, Web.HttpPort, ca.TrustOnlyThisCa()));
        return services;
    }

    /// <summary>
    /// Puts a config-v1.1 file for <paramref name="domain"/> into the local ISPDB, so detection answers "Found in the
    /// Thunderbird database" with these servers; for tests whose servers (ports) are known only at run time.
    /// </summary>
    public void AddIspdbEntry(string domain, string xml) => Ispdb(domain, xml);

    /// <summary>One detection with fresh services (own DNS client and HttpClient handler), as a dialog would run it.</summary>
    public async Task<MailSettingsDetection> DetectAsync(string address, IDictionary<string, string?>? settings = null)
    {
        await using var services = CreateServices(settings);
        return await services.GetRequiredService<MailSettingsDetector>().DetectAsync(address);
    }

    /// <summary>Requests the web server got for this host, in order ("https://autoconfig.own.test/mail/...").</summary>
    public IReadOnlyList<string> RequestsFor(string domain) =>
        Web.Requests.Where(r => new Uri(r).Host.EndsWith(domain, StringComparison.OrdinalIgnoreCase) || r.EndsWith("/" + domain, StringComparison.OrdinalIgnoreCase)).ToList();

    private void AddDomains()
    {
        // own.test has everything: its autoconfig must win over ISPDB, MX (Google) and SRV.
        Web.ServeXml("https://autoconfig.own.test/mail/config-v1.1.xml",
            AutoconfigSamples.Config("own.test", ("imap.own.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.own.test", 465, "SSL", "%EMAILADDRESS%")));
        Ispdb("own.test", AutoconfigSamples.Config("own.test", ("imap.ispdb-own.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.ispdb-own.test", 465, "SSL", "%EMAILADDRESS%")));
        Dns.AddMx("own.test", 10, "aspmx.l.google.com");
        Dns.AddSrv("_imaps._tcp.own.test", 0, 1, 993, "imap.srv-own.test");

        // Only the /.well-known file, with STARTTLS and the local part as username.
        Web.ServeXml("https://wellknown.test/.well-known/autoconfig/mail/config-v1.1.xml",
            AutoconfigSamples.Config("wellknown.test", ("mail.%EMAILDOMAIN%", 143, "STARTTLS", "%EMAILLOCALPART%"), ("mail.%EMAILDOMAIN%", 587, "STARTTLS", "%EMAILLOCALPART%")));

        // Only over plain HTTP: found, but unverified.
        Web.ServeXml("http://autoconfig.plainhttp.test/mail/config-v1.1.xml",
            AutoconfigSamples.Config("plainhttp.test", ("imap.plainhttp.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.plainhttp.test", 587, "STARTTLS", "%EMAILADDRESS%")));

        // In the ISPDB; its MX (Google) and SRV records come later in the order.
        Ispdb("listed.test", AutoconfigSamples.Config("listed.test", ("imap.listed.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.listed.test", 587, "STARTTLS", "%EMAILADDRESS%")));
        Dns.AddMx("listed.test", 10, "aspmx.l.google.com");
        Dns.AddSrv("_imaps._tcp.listed.test", 0, 1, 993, "imap.srv-listed.test");

        // Custom domains whose MX points at a provider.
        Dns.AddMx("gworkspace.test", 20, "alt1.aspmx.l.google.com").AddMx("gworkspace.test", 10, "aspmx.l.google.com");
        Dns.AddSrv("_imaps._tcp.gworkspace.test", 0, 1, 993, "imap.srv-gworkspace.test");
        Dns.AddMx("m365.test", 0, "m365-test.mail.protection.outlook.com");
        Dns.AddMx("hosted.test", 10, "mx1.eu.mailhost.test");
        Ispdb("mailhost.test", AutoconfigSamples.Config("mailhost.test", ("imap.mailhost.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.mailhost.test", 465, "SSL", "%EMAILADDRESS%")));
        Dns.AddMx("hosted2.test", 10, "mx.provider2.test");
        Web.ServeXml("https://autoconfig.provider2.test/mail/config-v1.1.xml",
            AutoconfigSamples.Config("provider2.test", ("imap.provider2.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.provider2.test", 587, "STARTTLS", "%EMAILADDRESS%")));
        Dns.AddMx("selfhosted.test", 10, "mx.selfhosted.test");
        Dns.AddMx("nullmx.test", 0, ".");

        // SRV only: priority, weight and implicit TLS decide; "." says "not offered".
        Dns.AddSrv("_submissions._tcp.srv.test", 0, 1, 465, "smtp.srv.test")
            .AddSrv("_submission._tcp.srv.test", 0, 100, 587, "submit.srv.test")
            .AddSrv("_imaps._tcp.srv.test", 10, 1, 993, "imap-b.srv.test")
            .AddSrv("_imaps._tcp.srv.test", 5, 10, 993, "imap-a.srv.test")
            .AddSrv("_imaps._tcp.srv.test", 5, 50, 993, "imap-c.srv.test")
            .AddSrv("_imap._tcp.srv.test", 20, 1, 143, "imap-plain.srv.test");
        Dns.AddSrv("_imaps._tcp.srv-none.test", 0, 0, 0, ".").AddSrv("_imap._tcp.srv-none.test", 0, 0, 0, ".")
            .AddSrv("_submission._tcp.srv-none.test", 0, 0, 587, "mail.srv-none.test");
        Dns.AddSrv("_imaps._tcp.srv-odd.test", 0, 0, 9993, "imap.srv-odd.test").AddSrv("_imap._tcp.srv-odd.test", 10, 0, 143, "imap.srv-odd.test");
        Dns.AddSrv("_imaps._tcp.srv-dot.test", 0, 0, 0, ".").AddSrv("_submissions._tcp.srv-dot.test", 0, 0, 0, ".");

        // Hostile and broken servers.
        Web.Serve("https://autoconfig.huge.test/mail/config-v1.1.xml", AutoconfigWebServer.Endless(20 * 1024 * 1024));
        Web.Serve("https://autoconfig.declared-huge.test/mail/config-v1.1.xml", async context =>
        {
            context.Response.ContentLength = 10 * 1024 * 1024;
            await context.Response.Body.FlushAsync();
        });
        Web.ServeXml("https://autoconfig.malformed.test/mail/config-v1.1.xml", "<clientConfig version=\"1.1\"><emailProvider id=\"malformed.test\"><incomingServer type=\"imap\"><hostname>imap.malformed.test</incomingServer>");
        Web.Serve("https://autoconfig.loop.test/mail/config-v1.1.xml", AutoconfigWebServer.Redirect("/next"));
        Web.Serve("https://autoconfig.loop.test/next", AutoconfigWebServer.Redirect("https://autoconfig.loop.test/mail/config-v1.1.xml"));
        for (var i = 0; i < 10; i++)
        {
            Web.Serve(i == 0 ? "https://autoconfig.chain.test/mail/config-v1.1.xml" : $"https://autoconfig.chain.test/{i}", AutoconfigWebServer.Redirect($"/{i + 1}"));
        }
        Web.ServeXml("https://autoconfig.script.test/mail/config-v1.1.xml", AutoconfigSamples.WithScript);
        Web.ServeXml("https://autoconfig.html.test/mail/config-v1.1.xml", "<html><head><title>Parked domain</title></head><body>Buy this domain</body></html>");
        Web.ServeXml("https://autoconfig.dtd.test/mail/config-v1.1.xml", AutoconfigSamples.BillionLaughs);
        Web.ServeXml("https://autoconfig.untrusted.test/mail/config-v1.1.xml",
            AutoconfigSamples.Config("untrusted.test", ("imap.untrusted.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.untrusted.test", 465, "SSL", "%EMAILADDRESS%")));
        Web.ServeXml("https://autoconfig.oddports.test/mail/config-v1.1.xml", AutoconfigSamples.OddPorts);
        Web.ServeXml("https://autoconfig.oauth.test/mail/config-v1.1.xml", AutoconfigSamples.OAuthOnly);
        Web.ServeXml("https://autoconfig.pop.test/mail/config-v1.1.xml", AutoconfigSamples.PopOnly);

        // Every web lookup of slow.test hangs; slowhosted.test's MX leads to a provider whose files hang.
        foreach (var url in new[]
        {
            "https://autoconfig.slow.test/mail/config-v1.1.xml", "https://slow.test/.well-known/autoconfig/mail/config-v1.1.xml",
            "http://autoconfig.slow.test/mail/config-v1.1.xml", "http://slow.test/.well-known/autoconfig/mail/config-v1.1.xml",
            "https://ispdb.thunderbird.test/v1.1/slow.test",
            "https://autoconfig.slowprovider.test/mail/config-v1.1.xml", "https://slowprovider.test/.well-known/autoconfig/mail/config-v1.1.xml",
            "http://autoconfig.slowprovider.test/mail/config-v1.1.xml", "http://slowprovider.test/.well-known/autoconfig/mail/config-v1.1.xml",
            "https://ispdb.thunderbird.test/v1.1/slowprovider.test",
        })
        {
            Web.Serve(url, Web.Hang());
        }
        Dns.AddMx("slowhosted.test", 10, "mx.slowprovider.test");

        // race.test: its autoconfig answers only when the test says so, its ISPDB entry at once.
        Web.Serve("https://autoconfig.race.test/mail/config-v1.1.xml", async context =>
        {
            await RaceGate.Task.WaitAsync(context.RequestAborted);
            await AutoconfigWebServer.Xml(AutoconfigSamples.Config("race.test", ("imap.race.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.race.test", 465, "SSL", "%EMAILADDRESS%")))(context);
        });
        Ispdb("race.test", AutoconfigSamples.Config("race.test", ("imap.ispdb-race.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.ispdb-race.test", 465, "SSL", "%EMAILADDRESS%")));

        // late.test: its autoconfig never answers, its ISPDB entry at once.
        Web.Serve("https://autoconfig.late.test/mail/config-v1.1.xml", Web.Hang());
        Ispdb("late.test", AutoconfigSamples.Config("late.test", ("imap.late.test", 993, "SSL", "%EMAILADDRESS%"), ("smtp.late.test", 465, "SSL", "%EMAILADDRESS%")));

        // DNS that fails.
        Dns.FailWith("servfail.test", ReturnCode.ServerFailure);
        Dns.FailWith("_imaps._tcp.servfail.test", ReturnCode.ServerFailure);
    }

    private void Ispdb(string domain, string xml) => File.WriteAllText(Path.Combine(IspdbDirectory, domain), xml);
}
