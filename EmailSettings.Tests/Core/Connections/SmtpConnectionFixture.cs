using EmailSettings.Core.Connections;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// One in-process SMTP server (STARTTLS, TLS on connect and plain endpoints, self-signed certificate), the same
/// server behind port 465 twice (its TLS endpoint, and its STARTTLS endpoint to provoke the mismatch), and two Core
/// hosts: one with the default time limit and one with a 2 s limit for the timeout cases.
/// </summary>
public sealed class SmtpConnectionFixture : IAsyncLifetime
{
    public const string User = "alice@example.com";
    public const string Password = "Smtp-S3cret!Pw-7731";
    public static readonly TimeSpan ShortLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// For the mismatch cases that wait for a greeting until shortly before the limit and then probe for TLS:
    /// long enough that the probe's share of the limit (a quarter) survives a loaded machine.
    /// </summary>
    public static readonly TimeSpan MismatchLimit = TimeSpan.FromSeconds(6);

    public SmtpTestServer Smtp { get; private set; } = default!;
    public CoreTestHost Host { get; private set; } = default!;
    public CoreTestHost ShortLimitHost { get; private set; } = default!;
    public CoreTestHost MismatchLimitHost { get; private set; } = default!;

    /// <summary>127.x.y.z:465 → the TLS-on-connect endpoint.</summary>
    public LoopbackForwarder Tls465 { get; private set; } = default!;

    /// <summary>127.x.y.z:465 → the STARTTLS endpoint: a server that greets in plain text on 465.</summary>
    public LoopbackForwarder StartTls465 { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Smtp = await SmtpTestServer.StartAsync();
        Smtp.AddUser(User, Password);
        Tls465 = LoopbackForwarder.Start(TlsPolicy.SmtpImplicitTlsPort, Smtp.TlsPort);
        StartTls465 = LoopbackForwarder.Start(TlsPolicy.SmtpImplicitTlsPort, Smtp.StartTlsPort);
        Host = await CoreTestHost.CreateAsync();
        ShortLimitHost = await CoreTestHost.CreateAsync(b =>
            b.Configuration[$"{ConnectionTestOptions.SectionName}:Timeout"] = ShortLimit.ToString("c"));
        MismatchLimitHost = await CoreTestHost.CreateAsync(b =>
            b.Configuration[$"{ConnectionTestOptions.SectionName}:Timeout"] = MismatchLimit.ToString("c"));
    }

    public async Task DisposeAsync()
    {
        await ShortLimitHost.DisposeAsync();
        await MismatchLimitHost.DisposeAsync();
        await Host.DisposeAsync();
        await StartTls465.DisposeAsync();
        await Tls465.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
