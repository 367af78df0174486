using System.Text.RegularExpressions;
using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// A real SMTP server, a real Dovecot that offers SCRAM-SHA-1 and SCRAM-SHA-256 besides PLAIN and LOGIN, and the
/// SMTP server's plain-text STARTTLS endpoint behind port 465 (where the layer speaks TLS on connect).
/// </summary>
public sealed class MailConnectionFixture : IAsyncLifetime
{
    public const string User = "alice@example.com";
    public const string Password = "Layer-S3cret!Pw-5120";

    public SmtpTestServer Smtp { get; private set; } = default!;
    public DovecotServer Dovecot { get; private set; } = default!;
    public LoopbackForwarder PlainTextOn465 { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Smtp = await SmtpTestServer.StartAsync();
        Smtp.AddUser(User, Password);
        Dovecot = await DovecotServer.StartAsync(certificate: null, ["auth_mechanisms = plain login scram-sha-1 scram-sha-256"]);
        PlainTextOn465 = LoopbackForwarder.Start(TlsPolicy.SmtpImplicitTlsPort, Smtp.StartTlsPort);
    }

    public async Task DisposeAsync()
    {
        await PlainTextOn465.DisposeAsync();
        await Dovecot.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

/// <summary>The shared connection layer against real servers: one sign-in attempt, the mechanism, the time limit, the classifier.</summary>
public sealed class MailConnectionTests(MailConnectionFixture f) : IClassFixture<MailConnectionFixture>
{
    private const string Record = "Relay";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static string NewUser() => $"u{Guid.NewGuid():N}"[..16] + "@example.com";

    private static SmtpMailConnection Smtp(string host, int port, bool useTls, string? pin, string? user = MailConnectionFixture.User,
        string password = MailConnectionFixture.Password, MailTimeLimit? limit = null) =>
        new(new MailEndpoint(ConnectionProtocol.Smtp, host, port, useTls, pin, Record),
            user is null ? null : new PasswordCredential(user, password),
            limit ?? MailTimeLimit.WholeSession(Limit, TimeProvider.System, default));

    private ImapMailConnection Imap(string user, string password, string? pin = "pinned", MailTimeLimit? limit = null) =>
        new(new MailEndpoint(ConnectionProtocol.Imap, f.Dovecot.Host, f.Dovecot.ImapPort, true, pin == "pinned" ? f.Dovecot.CertificateSha256 : pin, Record),
            new PasswordCredential(user, password),
            limit ?? MailTimeLimit.WholeSession(Limit, TimeProvider.System, default));

    /// <summary>Connects, signs in, opens INBOX (IMAP) and says goodbye; the failure when one of these fails.</summary>
    private static async Task<MailFailure?> SessionAsync(MailConnection connection)
    {
        try
        {
            await connection.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                return refusal;
            }
            if (connection is ImapMailConnection imap)
            {
                await imap.OpenInboxAsync();
            }
            (await connection.QuitAsync()).Should().BeNull();
            return null;
        }
        catch (Exception ex) when (connection.Classify(ex) is { } failure)
        {
            return failure;
        }
    }

    private int AttemptsOf(string user) => f.Smtp.AuthenticationAttempts.Count(a => a.User == user);

    /// <summary>Dovecot's login process logs each session it ends: "… (auth failed, N attempts in 0 secs): user=&lt;…&gt;".</summary>
    private async Task<int> DovecotAuthAttemptsAsync(string user) => int.Parse(
        await DovecotLogAsync($@"auth failed, (\d+) attempts? in \d+ secs?\): user=<{Regex.Escape(user)}>", $"Dovecot logged the failed sign-in of {user}"),
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>… and each sign-in: "Login: user=&lt;…&gt;, method=SCRAM-SHA-256, …".</summary>
    private Task<string> DovecotLoginMethodAsync(string user) =>
        DovecotLogAsync($@"Login: user=<{Regex.Escape(user)}>, method=([A-Z0-9-]+)", $"Dovecot logged the sign-in of {user}");

    /// <summary>The first group of <paramref name="pattern"/> in Dovecot's log, once it is written.</summary>
    private async Task<string> DovecotLogAsync(string pattern, string because)
    {
        Match? found = null;
        await Eventually.HoldsAsync(() => (found = Regex.Match(f.Dovecot.ReadLog(), pattern)).Success, because);
        return found!.Groups[1].Value;
    }

    [Fact]
    public async Task A_wrong_smtp_password_is_sent_once_by_the_layer_by_Test_Connection_and_by_send()
    {
        // The test server offers PLAIN and LOGIN: MailKit's AuthenticateAsync(user, password) would try both.
        var (layerUser, testUser, sendUser) = (NewUser(), NewUser(), NewUser());
        foreach (var user in new[] { layerUser, testUser, sendUser })
        {
            f.Smtp.AddUser(user, MailConnectionFixture.Password);
        }
        await using var host = await CoreTestHost.CreateAsync();

        using (var connection = Smtp(f.Smtp.Host, f.Smtp.StartTlsPort, true, f.Smtp.CertificateSha256, layerUser, "wrong-1"))
        {
            (await SessionAsync(connection))!.Kind.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        }
        var test = await host.GetForA<SmtpConnectionTester>().TestAsync(new MailServerInput
        {
            Name = "Relay", SmtpHost = f.Smtp.Host, SmtpPort = f.Smtp.StartTlsPort, UseTls = true,
            SmtpUsername = testUser, SmtpPassword = "wrong-2", PinnedCertificateSha256 = f.Smtp.CertificateSha256,
        }, null, default);
        var server = await host.AddServerAsync(host.TenantA, f.Smtp.Host, f.Smtp.StartTlsPort, true, sendUser, "wrong-3", f.Smtp.CertificateSha256);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Support");
        var sent = await host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], "Hi", "Hello", AccountId: account));

        test.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        sent.FailureKind.Should().Be(SendFailureKind.Authentication);
        AttemptsOf(layerUser).Should().Be(1);
        AttemptsOf(testUser).Should().Be(1);
        AttemptsOf(sendUser).Should().Be(1);
        f.Smtp.AuthenticationAttempts.Should().NotContain(a => a.Succeeded && (a.User == testUser || a.User == sendUser));
    }

    [Fact]
    public async Task A_wrong_imap_password_is_sent_once_by_Test_Connection_and_by_sync()
    {
        // Dovecot offers four mechanisms and LOGIN: MailKit's AuthenticateAsync(user, password) would try all five.
        var testUser = NewUser();
        f.Dovecot.AddUser(testUser, MailConnectionFixture.Password);
        await using var bed = await SyncTestBed.CreateAsync(f.Dovecot);
        var (accountId, syncUser) = await bed.AddAccountAsync(password: "wrong-password");

        var test = await bed.Host.GetForA<ImapConnectionTester>().TestAsync(new EmailAccountInput
        {
            EmailAddress = testUser, DisplayName = "Inbox", MailServerId = 1, ImapHost = f.Dovecot.Host, ImapPort = f.Dovecot.ImapPort,
            ImapUseTls = true, ImapUsername = testUser, ImapPassword = "wrong-password", ImapPinnedCertificateSha256 = f.Dovecot.CertificateSha256,
        }, null, default);
        var sync = await bed.SyncAsync(accountId);

        test.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        sync.ErrorKind.Should().Be(SyncErrorKind.AuthenticationFailed);
        sync.Error.Should().StartWith($"The IMAP server rejected the username or password for \"{syncUser}\" at {f.Dovecot.Host}:{f.Dovecot.ImapPort}")
            .And.EndWith($"Check the IMAP Username and IMAP Password of the account \"Inbox {syncUser}\".");
        (await DovecotAuthAttemptsAsync(testUser)).Should().Be(1);
        (await DovecotAuthAttemptsAsync(syncUser)).Should().Be(1);
    }

    [Fact]
    public async Task Password_sign_in_uses_SCRAM_SHA_256_when_the_server_offers_it_in_the_layer_and_in_sync()
    {
        var layerUser = NewUser();
        f.Dovecot.AddUser(layerUser, MailConnectionFixture.Password);
        await using var bed = await SyncTestBed.CreateAsync(f.Dovecot);
        var (accountId, syncUser) = await bed.AddAccountAsync();

        using (var connection = Imap(layerUser, MailConnectionFixture.Password))
        {
            (await SessionAsync(connection)).Should().BeNull();
        }
        (await bed.SyncAsync(accountId)).Succeeded.Should().BeTrue();

        (await DovecotLoginMethodAsync(layerUser)).Should().Be("SCRAM-SHA-256");
        (await DovecotLoginMethodAsync(syncUser)).Should().Be("SCRAM-SHA-256");
    }

    [Fact]
    public async Task The_time_limit_runs_on_the_TimeProvider_so_a_fake_clock_ends_a_silent_session()
    {
        await using var silent = new SilentListener();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limit = TimeSpan.FromMinutes(10);
        var started = DateTime.UtcNow;

        using var smtp = Smtp(silent.Host, silent.Port, useTls: false, pin: null, limit: MailTimeLimit.WholeSession(limit, clock, default));
        using var imap = new ImapMailConnection(
            new MailEndpoint(ConnectionProtocol.Imap, silent.Host, silent.Port, false, null, Record),
            new PasswordCredential("u", "p"), MailTimeLimit.WholeSession(limit, clock, default));
        var sessions = new[] { SessionAsync(smtp), SessionAsync(imap) };
        await Eventually.HoldsAsync(() => silent.AcceptedCount == 2, "both sessions reached the silent server");
        sessions.Should().OnlyContain(s => !s.IsCompleted, "the server's silence holds them until the limit");
        clock.Advance(limit);
        var failures = await Task.WhenAll(sessions);

        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(30), "the fake clock, not the real one, ended them");
        failures.Should().OnlyContain(x => x!.Kind == ConnectionFailureKind.TimedOut);
        failures[0]!.Message.Should().Be($"The mail server {silent.Host}:{silent.Port} did not answer within 600 seconds while connecting.");
        failures[1]!.Message.Should().Be($"The IMAP server {silent.Host}:{silent.Port} did not answer within 600 seconds while connecting.");
    }

    [Fact]
    public async Task Test_Connection_and_send_take_their_time_limit_from_the_hosts_TimeProvider()
    {
        await using var silent = new SilentListener();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await CoreTestHost.CreateAsync(b =>
        {
            b.Configuration["ConnectionTests:Timeout"] = "00:05:00";
            b.Configuration["Sending:Timeout"] = "00:05:00";
            b.Services.AddSingleton<TimeProvider>(clock);
        });
        var server = await host.AddServerAsync(host.TenantA, silent.Host, silent.Port, useTls: false);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Support");
        var started = DateTime.UtcNow;

        var test = host.GetForA<SmtpConnectionTester>().TestAsync(new MailServerInput
        {
            Name = "Silent", SmtpHost = silent.Host, SmtpPort = silent.Port, UseTls = false, SmtpUsername = "u", SmtpPassword = "p",
        }, null, default);
        var send = host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], "Hi", "Hello", AccountId: account));
        await Eventually.HoldsAsync(() => silent.AcceptedCount == 2, "the test and the send reached the silent server");
        clock.Advance(TimeSpan.FromMinutes(5));
        var (tested, sent) = (await test, await send);

        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(30), "the fake clock, not the real one, ended them");
        tested.Failure.Should().Be(ConnectionFailureKind.TimedOut);
        tested.Summary.Should().Contain("within 300 s");
        sent.FailureKind.Should().Be(SendFailureKind.Timeout);
        sent.ErrorMessage.Should().Be($"The mail server {silent.Host}:{silent.Port} did not answer within 300 seconds while connecting. Nothing was sent.");
    }

    [Fact]
    public async Task A_cancelled_caller_is_told_apart_from_the_time_limit()
    {
        await using var silent = new SilentListener();
        using var cancel = new CancellationTokenSource();
        using var connection = Smtp(silent.Host, silent.Port, false, null, limit: MailTimeLimit.WholeSession(Limit, TimeProvider.System, cancel.Token));

        var session = SessionAsync(connection);
        await Eventually.HoldsAsync(() => silent.AcceptedCount == 1, "the session reached the silent server");
        await cancel.CancelAsync();

        (await session)!.Kind.Should().Be(ConnectionFailureKind.Cancelled);
    }

    public enum SmtpCase
    {
        HostNotFound,
        ConnectionRefused,
        HostUnreachable,
        CertificateNotTrusted,
        CertificateChanged,
        TlsHandshakeFailed,
        StartTlsNotOffered,
        AuthenticationFailed,
        SignInOnlyOverTls,
        RefusedInGreeting,
        HungUp,
    }

    [Theory]
    [InlineData(SmtpCase.HostNotFound, ConnectionFailureKind.HostNotFound, "The SMTP host \"no-such-host.invalid\" could not be found. Check the SMTP Host of the server \"Relay\".")]
    [InlineData(SmtpCase.ConnectionRefused, ConnectionFailureKind.ConnectionRefused, "The mail server {0} refused the connection. Check the SMTP Host and SMTP Port of the server \"Relay\".")]
    [InlineData(SmtpCase.HostUnreachable, ConnectionFailureKind.HostUnreachable, "Cannot reach the mail server {0} (")]
    [InlineData(SmtpCase.CertificateNotTrusted, ConnectionFailureKind.CertificateNotTrusted, "The certificate of {0} is not trusted (subject CN=localhost")]
    [InlineData(SmtpCase.CertificateChanged, ConnectionFailureKind.CertificateNotTrusted, "The certificate of {0} changed since it was trusted, and the new one is not trusted (")]
    [InlineData(SmtpCase.TlsHandshakeFailed, ConnectionFailureKind.TlsHandshakeFailed, "The TLS handshake with {0} (TLS on connect) failed: ")]
    [InlineData(SmtpCase.StartTlsNotOffered, ConnectionFailureKind.StartTlsNotOffered, "The mail server {0} does not offer STARTTLS. Turn off Use TLS/STARTTLS only if the server really has no TLS.")]
    [InlineData(SmtpCase.AuthenticationFailed, ConnectionFailureKind.AuthenticationFailed, "The mail server {0} refused the login for user \"alice@example.com\": 535")]
    [InlineData(SmtpCase.SignInOnlyOverTls, ConnectionFailureKind.AuthenticationMechanismNotSupported, "The mail server {0} offers sign-in only over TLS (it offers STARTTLS), and Use TLS/STARTTLS is off. Turn on Use TLS/STARTTLS.")]
    [InlineData(SmtpCase.RefusedInGreeting, ConnectionFailureKind.ServerError, "The mail server {0} refused the connection: ")]
    [InlineData(SmtpCase.HungUp, ConnectionFailureKind.ConnectionLost, "The mail server {0} broke off the conversation while connecting: ")]
    public async Task Each_smtp_failure_gets_its_kind_and_both_wordings(SmtpCase scenario, ConnectionFailureKind kind, string messageStart)
    {
        await using var refusing = ScriptedSmtpListener.Refusing("554 5.7.1 Service unavailable; client host [127.0.0.1] blocked");
        await using var hangingUp = ScriptedSmtpListener.HangingUp();
        var s = f.Smtp;
        using var connection = scenario switch
        {
            SmtpCase.HostNotFound => Smtp("no-such-host.invalid", 587, true, null),
            SmtpCase.ConnectionRefused => Smtp("127.0.0.1", FreePort.Next(), false, null),
            // TCP to a broadcast address fails at once on Linux (ENETUNREACH or EACCES), whatever the routes.
            SmtpCase.HostUnreachable => Smtp("255.255.255.255", 25, false, null),
            SmtpCase.CertificateNotTrusted => Smtp(s.Host, s.StartTlsPort, true, null),
            SmtpCase.CertificateChanged => Smtp(s.Host, s.StartTlsPort, true, new string('A', 64)),
            SmtpCase.TlsHandshakeFailed => Smtp(f.PlainTextOn465.Host, f.PlainTextOn465.Port, true, s.CertificateSha256),
            SmtpCase.StartTlsNotOffered => Smtp(s.Host, s.PlainPort, true, s.CertificateSha256),
            SmtpCase.AuthenticationFailed => Smtp(s.Host, s.StartTlsPort, true, s.CertificateSha256, password: "wrong"),
            SmtpCase.SignInOnlyOverTls => Smtp(s.Host, s.StartTlsPort, false, null),
            SmtpCase.RefusedInGreeting => Smtp(refusing.Host, refusing.Port, false, null),
            _ => Smtp(hangingUp.Host, hangingUp.Port, false, null),
        };
        var address = connection.Endpoint.Address;
        var attemptsBefore = AttemptsOf(MailConnectionFixture.User);

        var failure = await SessionAsync(connection);

        failure.Should().NotBeNull();
        failure!.Kind.Should().Be(kind, failure.Detail);
        failure.Message.Should().StartWith(string.Format(System.Globalization.CultureInfo.InvariantCulture, messageStart, address));
        failure.Summary.Should().NotBeNullOrWhiteSpace();
        failure.Hint.Should().NotBeNullOrWhiteSpace();
        string.Join("\n", failure.Summary, failure.Hint, failure.Message, failure.Detail, failure.ServerReply)
            .Should().NotContain(MailConnectionFixture.Password);
        switch (scenario)
        {
            case SmtpCase.CertificateNotTrusted or SmtpCase.CertificateChanged:
                failure.Certificate!.Sha256.Should().Be(s.CertificateSha256);
                failure.PinnedCertificateChanged.Should().Be(scenario == SmtpCase.CertificateChanged);
                failure.Message.Should().Contain(s.CertificateSha256).And.EndWith("Open the server \"Relay\", run Test Connection and trust the certificate if it is the right one.");
                AttemptsOf(MailConnectionFixture.User).Should().Be(attemptsBefore, "nothing is sent to a server that is not trusted");
                break;
            case SmtpCase.AuthenticationFailed:
                failure.ServerReply.Should().StartWith("535");
                failure.Field.Should().Be(nameof(MailServerInput.SmtpPassword));
                failure.Message.Should().EndWith("Check the SMTP Username and SMTP Password of the server \"Relay\".");
                break;
            case SmtpCase.SignInOnlyOverTls:
                failure.Summary.Should().Be("The server offers sign-in only over TLS (it offers STARTTLS), and Use TLS/STARTTLS is off.");
                failure.Field.Should().Be(nameof(MailServerInput.UseTls));
                failure.Detail.Should().BeNull("no exception: the layer saw the missing AUTH before trying");
                break;
            case SmtpCase.RefusedInGreeting:
                failure.ServerReply.Should().StartWith("554 5.7.1 Service unavailable");
                break;
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Each_imap_failure_of_sign_in_and_INBOX_gets_its_kind_and_both_wordings()
    {
        var user = NewUser();
        f.Dovecot.AddUser(user, MailConnectionFixture.Password);
        var broken = NewUser();
        f.Dovecot.AddUser(broken, MailConnectionFixture.Password);
        f.Dovecot.DeliverToMaildir(broken, [DovecotServer.CreateMessage(1)]);
        // Dovecot runs as uid 65534: without rights on cur/ it signs in but cannot open INBOX.
        File.SetUnixFileMode(Path.Combine(f.Dovecot.MailRoot, broken, "Maildir", "cur"), UnixFileMode.None);
        var address = $"{f.Dovecot.Host}:{f.Dovecot.ImapPort}";

        MailFailure? wrongPassword, untrusted, noInbox;
        using (var connection = Imap(user, "wrong"))
        {
            wrongPassword = await SessionAsync(connection);
        }
        using (var connection = Imap(user, MailConnectionFixture.Password, pin: null))
        {
            untrusted = await SessionAsync(connection);
        }
        using (var connection = Imap(broken, MailConnectionFixture.Password))
        {
            noInbox = await SessionAsync(connection);
        }

        wrongPassword!.Kind.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        wrongPassword.Summary.Should().Be($"The server rejected the sign-in as \"{user}\".");
        wrongPassword.Message.Should().StartWith($"The IMAP server rejected the username or password for \"{user}\" at {address}: ")
            .And.EndWith("Check the IMAP Username and IMAP Password of the account \"Relay\".");
        untrusted!.Kind.Should().Be(ConnectionFailureKind.CertificateNotTrusted);
        untrusted.Message.Should().Contain(f.Dovecot.CertificateSha256).And.EndWith("Open the account \"Relay\", run Test Connection and trust the certificate if it is the right one.");
        noInbox!.Kind.Should().Be(ConnectionFailureKind.MailboxUnavailable, noInbox.Detail);
        noInbox.Summary.Should().StartWith($"Signed in as \"{broken}\", but INBOX could not be opened: ");
        noInbox.Message.Should().StartWith($"Signed in to the IMAP server {address} as \"{broken}\", but INBOX could not be opened: ");
    }

    [Fact]
    public async Task An_untrusted_certificate_reads_the_same_in_the_sync_error_and_the_email_log()
    {
        await using var bed = await SyncTestBed.CreateAsync(f.Dovecot);
        var (accountId, user) = await bed.AddAccountAsync(pin: null);
        var server = await bed.Host.AddServerAsync(bed.Host.TenantA, f.Smtp.Host, f.Smtp.StartTlsPort, true, pinnedSha256: null, name: "Outbound relay");
        var sender = await bed.Host.AddAccountAsync(bed.Host.TenantA, server, "support@acme.example", "Support");

        var sync = await bed.SyncAsync(accountId);
        var sent = await bed.Host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], "Hi", "Hello", AccountId: sender));

        sync.ErrorKind.Should().Be(SyncErrorKind.Tls);
        sent.FailureKind.Should().Be(SendFailureKind.Certificate);
        sync.Error.Should().StartWith($"The certificate of {f.Dovecot.Host}:{f.Dovecot.ImapPort} is not trusted (")
            .And.EndWith($"Open the account \"Inbox {user}\", run Test Connection and trust the certificate if it is the right one.");
        sent.ErrorMessage.Should().StartWith($"The certificate of {f.Smtp.Host}:{f.Smtp.StartTlsPort} is not trusted (")
            .And.EndWith("Open the server \"Outbound relay\", run Test Connection and trust the certificate if it is the right one. Nothing was sent.");
    }
}
