using System.Diagnostics;
using System.Globalization;
using EmailSettings.Tests.Support;
using FluentAssertions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Xunit;
using Xunit.Abstractions;

namespace EmailSettings.Tests.Support;

[Trait("Category", "Integration")]
public sealed class FixtureSmokeTests(ITestOutputHelper output)
{
    private const string User = "alice@example.com";
    private const string Password = "s3cret-Pa55";

    private static ImapClient NewImapClient(string fingerprint) => new()
    {
        ServerCertificateValidationCallback = TestCertificates.AcceptOnly(fingerprint),
        Timeout = 10_000,
    };

    private static SmtpClient NewSmtpClient(string fingerprint, Stream? protocolLog = null) =>
        new(protocolLog is null ? new NullProtocolLogger() : new ProtocolLogger(protocolLog, leaveOpen: true))
        {
            ServerCertificateValidationCallback = TestCertificates.AcceptOnly(fingerprint),
            Timeout = 10_000,
        };

    [Fact]
    public void Self_signed_certificate_has_a_usable_private_key_and_an_uppercase_sha256_fingerprint()
    {
        using var certificate = TestCertificates.CreateSelfSigned();

        certificate.HasPrivateKey.Should().BeTrue();
        certificate.NotBefore.Should().BeBefore(DateTime.Now.AddHours(-12));
        certificate.NotAfter.Should().BeAfter(DateTime.Now.AddDays(360));
        TestCertificates.Sha256Fingerprint(certificate).Should().MatchRegex("^[0-9A-F]{64}$");
        TestCertificates.ExportPrivateKeyPem(certificate).Should().StartWith("-----BEGIN PRIVATE KEY-----");
    }

    [Fact]
    public async Task Dovecot_accepts_login_over_starttls_and_imaps()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);

        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
            client.IsSecure.Should().BeTrue();
            await client.AuthenticateAsync(User, Password);
            client.IsAuthenticated.Should().BeTrue();
            await client.DisconnectAsync(true);
        }

        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
            client.IsSecure.Should().BeTrue();
            await client.AuthenticateAsync(User, Password);
            client.IsAuthenticated.Should().BeTrue();
            await client.DisconnectAsync(true);
        }

        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.None);
            await client.AuthenticateAsync(User, Password);
            client.IsAuthenticated.Should().BeTrue("plaintext login on the plain port is allowed");
            await client.DisconnectAsync(true);
        }

        using (var client = NewImapClient(new string('A', 64)))
        {
            var connect = () => client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
            await connect.Should().ThrowAsync<SslHandshakeException>("only the fixture's fingerprint is accepted");
        }

        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
            // Explicit mechanism: AuthenticateAsync(user, password) tries PLAIN, LOGIN and the LOGIN command,
            // and Dovecot answers each failure after ~0.5 s.
            var login = () => client.AuthenticateAsync(new SaslMechanismPlain(User, "wrong"));
            await login.Should().ThrowAsync<AuthenticationException>();
        }

        dovecot.ReadLog().Should().NotContain(Password);
    }

    [Fact]
    public async Task Dovecot_picks_up_users_added_while_running()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);
        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
            await client.AuthenticateAsync(User, Password);
        }

        dovecot.AddUser("bob", "bobs-password");

        using (var client = NewImapClient(dovecot.CertificateSha256))
        {
            await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
            await client.AuthenticateAsync("bob", "bobs-password");
            client.IsAuthenticated.Should().BeTrue();
        }
    }

    [Fact]
    public async Task Dovecot_inbox_counts_appended_and_maildir_delivered_messages_as_unseen()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);

        await dovecot.AppendAsync(User, Password, Enumerable.Range(1, 3).Select(n => DovecotServer.CreateMessage(n)));
        dovecot.DeliverToMaildir(User, Enumerable.Range(4, 5).Select(n => DovecotServer.CreateMessage(n)))
            .Should().Be(5);

        using var client = NewImapClient(dovecot.CertificateSha256);
        await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(User, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);

        client.Inbox.Count.Should().Be(8);
        var unseen = await client.Inbox.SearchAsync(MailKit.Search.SearchQuery.NotSeen);
        unseen.Should().HaveCount(8);
        var summaries = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope);
        summaries.Select(s => s.Envelope?.Subject).Should().BeEquivalentTo(
            Enumerable.Range(1, 8).Select(n => $"Test message {n}"));
    }

    [Fact]
    public async Task Dovecot_restarts_on_the_same_ports_and_keeps_the_mail()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);
        dovecot.DeliverToMaildir(User, Enumerable.Range(1, 2).Select(n => DovecotServer.CreateMessage(n)));
        var (imapPort, imapsPort) = (dovecot.ImapPort, dovecot.ImapsPort);

        using var connected = NewImapClient(dovecot.CertificateSha256);
        await connected.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
        await connected.AuthenticateAsync(User, Password);
        await connected.Inbox.OpenAsync(FolderAccess.ReadOnly);

        await dovecot.StopAsync();
        dovecot.IsRunning.Should().BeFalse();
        var noop = () => connected.NoOpAsync();
        await noop.Should().ThrowAsync<Exception>("the server went away mid-session");

        await dovecot.RestartAsync();
        dovecot.IsRunning.Should().BeTrue();
        dovecot.ImapPort.Should().Be(imapPort);
        dovecot.ImapsPort.Should().Be(imapsPort);

        using var client = NewImapClient(dovecot.CertificateSha256);
        await client.ConnectAsync(dovecot.Host, imapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(User, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        client.Inbox.Count.Should().Be(2);
    }

    [Fact]
    public async Task Dovecot_assigns_a_new_uidvalidity_after_ResetUidValidity()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);
        dovecot.DeliverToMaildir(User, Enumerable.Range(1, 3).Select(n => DovecotServer.CreateMessage(n)));

        var before = await ReadUidValidityAsync(dovecot);

        dovecot.ResetUidValidity(User);
        var afterRunningReset = await ReadUidValidityAsync(dovecot);

        await dovecot.StopAsync();
        dovecot.ResetUidValidity(User);
        await dovecot.RestartAsync();
        var afterStoppedReset = await ReadUidValidityAsync(dovecot);

        output.WriteLine($"UIDVALIDITY {before.UidValidity} -> {afterRunningReset.UidValidity} -> {afterStoppedReset.UidValidity}");
        afterRunningReset.UidValidity.Should().NotBe(before.UidValidity);
        afterStoppedReset.UidValidity.Should().NotBe(afterRunningReset.UidValidity);
        afterStoppedReset.Count.Should().Be(3, "the messages survive, only their UIDs are renumbered");
    }

    private static async Task<(uint UidValidity, int Count)> ReadUidValidityAsync(DovecotServer dovecot)
    {
        using var client = NewImapClient(dovecot.CertificateSha256);
        await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(User, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var result = (client.Inbox.UidValidity, client.Inbox.Count);
        await client.DisconnectAsync(true);
        return result;
    }

    [Fact]
    public async Task Dovecot_bulk_maildir_delivery_of_10000_messages_shows_them_all_on_the_first_select()
    {
        const int count = 10_000;
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(User, Password);

        var create = Stopwatch.StartNew();
        var messages = Enumerable.Range(1, count).Select(n => DovecotServer.CreateMessage(n)).ToList();
        create.Stop();
        var deliver = Stopwatch.StartNew();
        dovecot.DeliverToMaildir(User, messages);
        deliver.Stop();

        using var client = NewImapClient(dovecot.CertificateSha256);
        client.Timeout = 120_000;
        await client.ConnectAsync(dovecot.Host, dovecot.ImapsPort, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(User, Password);
        var select = Stopwatch.StartNew();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        select.Stop();

        output.WriteLine(
            $"CreateMessage x{count}: {create.ElapsedMilliseconds} ms; DeliverToMaildir: {deliver.ElapsedMilliseconds} ms; " +
            $"first SELECT: {select.ElapsedMilliseconds} ms (root {DovecotServer.TempRoot})");
        // The times are printed for the record; the sync benchmarks (docs/benchmarks.md) measure this set-up, not a test.
        client.Inbox.Count.Should().Be(count);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(4242)]
    [InlineData(20576)]
    [InlineData(123456)]
    [InlineData(4194304)]
    public void Maildir_file_names_of_100000_deliveries_spread_over_Dovecots_file_name_hash(int pid)
    {
        // 100,000 names from one server, as the no-change benchmark delivers (1,000 + 10,000 + 50,000 and more).
        var names = Enumerable.Range(1, 100_000)
            .Select(n => DovecotServer.MaildirFileName(1_795_642_288, n, pid, 380 + n.ToString(CultureInfo.InvariantCulture).Length));

        var largestBucket = names.CountBy(DovecotFileNameHash).Max(bucket => bucket.Value);

        largestBucket.Should().BeLessThanOrEqualTo(2,
            "Dovecot looks every name of a Maildir up in a hash table on this hash; crowded buckets make each session that reads dovecot-uidlist quadratic");
    }

    /// <summary>Dovecot 2.3's maildir_filename_base_hash (src/lib-storage/index/maildir/maildir-filename.c): ELF-style, up to the ':' of the flags.</summary>
    private static uint DovecotFileNameHash(string name)
    {
        uint h = 0;
        foreach (var c in name.TakeWhile(c => c != ':'))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000u;
            if (g != 0)
            {
                h ^= g >> 24;
                h ^= g;
            }
        }
        return h;
    }

    public static TheoryData<string, string> SmtpPortsAndMechanisms()
    {
        var data = new TheoryData<string, string>();
        foreach (var port in new[] { "StartTls", "Tls", "Plain" })
        {
            foreach (var mechanism in new[] { "PLAIN", "LOGIN" })
            {
                data.Add(port, mechanism);
            }
        }

        return data;
    }

    private static (int Port, SecureSocketOptions Options) Endpoint(SmtpTestServer smtp, string kind) => kind switch
    {
        "StartTls" => (smtp.StartTlsPort, SecureSocketOptions.StartTls),
        "Tls" => (smtp.TlsPort, SecureSocketOptions.SslOnConnect),
        "Plain" => (smtp.PlainPort, SecureSocketOptions.None),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    [Theory]
    [MemberData(nameof(SmtpPortsAndMechanisms))]
    public async Task Smtp_server_accepts_auth_plain_and_login_on_each_port(string portKind, string mechanism)
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(User, Password);
        var (port, options) = Endpoint(smtp, portKind);

        using var client = NewSmtpClient(smtp.CertificateSha256);
        await client.ConnectAsync(smtp.Host, port, options);
        client.IsSecure.Should().Be(portKind != "Plain");
        client.AuthenticationMechanisms.Should().Contain(mechanism);
        var credentials = new System.Net.NetworkCredential(User, Password);
        SaslMechanism sasl = mechanism == "PLAIN" ? new SaslMechanismPlain(credentials) : new SaslMechanismLogin(credentials);
        await client.AuthenticateAsync(sasl);
        client.IsAuthenticated.Should().BeTrue();
        await client.DisconnectAsync(true);

        smtp.AuthenticationAttempts.Should().ContainSingle()
            .Which.Should().Be(new SmtpAuthenticationAttempt(User, true, port, portKind != "Plain"));
        smtp.MailFromCount.Should().Be(0);
    }

    [Fact]
    public async Task Smtp_server_advertises_starttls_and_auth_per_port()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(User, Password);

        using (var client = NewSmtpClient(smtp.CertificateSha256))
        {
            await client.ConnectAsync(smtp.Host, smtp.StartTlsPort, SecureSocketOptions.None);
            client.Capabilities.Should().HaveFlag(SmtpCapabilities.StartTLS);
            client.AuthenticationMechanisms.Should().BeEmpty("AUTH is only offered after STARTTLS on this port");
        }

        using (var client = NewSmtpClient(smtp.CertificateSha256))
        {
            await client.ConnectAsync(smtp.Host, smtp.PlainPort, SecureSocketOptions.None);
            client.Capabilities.Should().NotHaveFlag(SmtpCapabilities.StartTLS);
            client.AuthenticationMechanisms.Should().Contain(["PLAIN", "LOGIN"]);
        }
    }

    [Fact]
    public async Task Smtp_server_rejects_a_wrong_password_with_535_and_records_no_message()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(User, Password);
        using var log = new MemoryStream();

        using (var client = NewSmtpClient(smtp.CertificateSha256, log))
        {
            await client.ConnectAsync(smtp.Host, smtp.TlsPort, SecureSocketOptions.SslOnConnect);
            // An explicit mechanism: AuthenticateAsync(user, password) would retry with LOGIN after PLAIN fails.
            var login = () => client.AuthenticateAsync(new SaslMechanismPlain(User, "wrong-password"));
            await login.Should().ThrowAsync<AuthenticationException>();
        }

        var transcript = System.Text.Encoding.UTF8.GetString(log.ToArray());
        transcript.Should().MatchRegex(@"(?m)^S: 535[ -]");
        transcript.Should().NotContain("wrong-password");
        smtp.AuthenticationAttempts.Should().Equal(new SmtpAuthenticationAttempt(User, false, smtp.TlsPort, true));
        smtp.MailFromCount.Should().Be(0);
        smtp.ReceivedMessages.Should().BeEmpty();
    }

    [Fact]
    public async Task Smtp_server_records_a_sent_message_with_its_envelope()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(User, Password);
        var message = DovecotServer.CreateMessage(42, from: "Alice <alice@example.com>", to: "Bob <bob@example.org>");

        using (var client = NewSmtpClient(smtp.CertificateSha256))
        {
            await client.ConnectAsync(smtp.Host, smtp.StartTlsPort, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync(User, Password);
            await client.SendAsync(
                message,
                MailboxAddress.Parse("bounces@example.com"),
                [MailboxAddress.Parse("bob@example.org"), MailboxAddress.Parse("carol@example.net")]);
            await client.DisconnectAsync(true);
        }

        smtp.MailFromCount.Should().Be(1);
        var received = smtp.ReceivedMessages.Should().ContainSingle().Subject;
        received.MailFrom.Should().Be("bounces@example.com");
        received.RcptTo.Should().Equal("bob@example.org", "carol@example.net");
        received.AuthenticatedUser.Should().Be(User);
        received.Port.Should().Be(smtp.StartTlsPort);
        received.Secure.Should().BeTrue();
        received.Message.Subject.Should().Be("Test message 42");
        received.Message.MessageId.Should().Be("test-message-42@example.com");
        received.Message.TextBody.Should().Contain("test message number 42");
    }

    [Fact]
    public async Task Silent_listener_makes_MailKit_time_out()
    {
        await using var silent = new SilentListener();

        using (var smtp = new SmtpClient { Timeout = 500 })
        {
            var connect = () => smtp.ConnectAsync(silent.Host, silent.Port, SecureSocketOptions.None);
            await connect.Should().ThrowAsync<TimeoutException>();
        }

        using (var imap = new ImapClient { Timeout = 500 })
        {
            var connect = () => imap.ConnectAsync(silent.Host, silent.Port, SecureSocketOptions.None);
            await connect.Should().ThrowAsync<TimeoutException>();
        }

        silent.AcceptedCount.Should().Be(2);
    }

    [Fact]
    public async Task Http_like_listener_makes_MailKit_report_a_protocol_error()
    {
        await using var http = new HttpLikeListener();

        using (var smtp = new SmtpClient { Timeout = 5_000 })
        {
            var connect = () => smtp.ConnectAsync(http.Host, http.Port, SecureSocketOptions.None);
            await connect.Should().ThrowAsync<SmtpProtocolException>();
        }

        using (var imap = new ImapClient { Timeout = 5_000 })
        {
            var connect = () => imap.ConnectAsync(http.Host, http.Port, SecureSocketOptions.None);
            await connect.Should().ThrowAsync<ImapProtocolException>();
        }
    }
}
