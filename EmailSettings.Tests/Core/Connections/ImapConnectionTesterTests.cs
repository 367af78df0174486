using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;
using static EmailSettings.Tests.Core.Connections.ImapConnectionFixture;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>Test Connection for the account dialog's IMAP settings, against a real Dovecot.</summary>
[Trait("Category", "Integration")]
public sealed class ImapConnectionTesterTests(ImapConnectionFixture fx) : IClassFixture<ImapConnectionFixture>
{
    private DovecotServer Dovecot => fx.Dovecot;

    [Fact]
    public async Task Succeeds_over_STARTTLS_and_reports_the_INBOX_count_and_sync_capabilities()
    {
        var result = await Test(Input(Dovecot.ImapPort));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.Protocol.Should().Be("IMAP");
        result.TlsMode.Should().Be("STARTTLS");
        result.TlsProtocol.Should().StartWith("TLS 1.");
        result.AuthenticatedUser.Should().Be(User);
        result.MessageCount.Should().Be(MessageCount);
        result.Offers(ImapConnectionTester.CondStore).Should().BeTrue();
        result.Offers(ImapConnectionTester.QResync).Should().BeTrue();
        result.Offers(ImapConnectionTester.Idle).Should().BeTrue();
        result.Summary.Should().Contain("3 messages");
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task Succeeds_with_TLS_on_connect_on_port_993()
    {
        var result = await Test(Input(fx.Imaps993.Port, host: fx.Imaps993.Host));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.TlsMode.Should().Be("TLS on connect");
        result.MessageCount.Should().Be(MessageCount);
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task Succeeds_without_TLS_and_points_out_that_the_server_offers_STARTTLS()
    {
        var result = await Test(Input(Dovecot.ImapPort, useTls: false));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.TlsMode.Should().Be("no encryption");
        result.TlsProtocol.Should().BeNull();
        result.Hint.Should().Contain("offers STARTTLS").And.Contain("Use TLS/SSL");
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task A_wrong_password_is_reported_as_authentication_failed_on_the_IMAP_password()
    {
        var result = await Test(Input(Dovecot.ImapPort, password: "Wrong-Imap-Pa55!"));

        result.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        result.Field.Should().Be(nameof(EmailAccountInput.ImapPassword));
        result.Hint.Should().Contain("IMAP Username").And.Contain("IMAP Password");
        AssertNotLeaked(result, "Wrong-Imap-Pa55!");
    }

    [Fact]
    public async Task An_untrusted_certificate_is_shown_and_accepted_once_pinned()
    {
        var untrusted = await Test(Input(Dovecot.ImapPort, pinned: false));

        untrusted.Failure.Should().Be(ConnectionFailureKind.CertificateNotTrusted);
        untrusted.Certificate!.Sha256.Should().Be(Dovecot.CertificateSha256);

        var pinned = await Test(Input(Dovecot.ImapPort, pin: untrusted.Certificate.Sha256));

        pinned.Succeeded.Should().BeTrue(pinned.Summary);
        pinned.AcceptedByPin.Should().BeTrue();
        AssertNotLeaked(untrusted);
    }

    [Fact]
    public async Task Port_993_on_a_server_that_greets_in_plain_text_is_a_port_TLS_mismatch()
    {
        var result = await Test(Input(fx.StartTls993.Port, host: fx.StartTls993.Host));

        result.Failure.Should().Be(ConnectionFailureKind.PortTlsMismatch);
        result.Field.Should().Be(nameof(EmailAccountInput.ImapPort));
        result.Hint.Should().Contain("143");
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task A_listener_that_speaks_HTTP_is_reported_as_not_an_IMAP_server()
    {
        await using var http = new HttpLikeListener();

        var result = await Test(Input(http.Port, host: http.Host));

        result.Failure.Should().Be(ConnectionFailureKind.NotAMailServer);
        result.Summary.Should().Contain("not as an IMAP server").And.Contain("HTTP/1.1 400");
        result.Field.Should().Be(nameof(EmailAccountInput.ImapPort));
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task On_edit_a_blank_password_uses_the_stored_one_of_the_callers_own_account_only()
    {
        var accountId = await CreateAccountAsync();
        var edit = (await fx.Host.Get<EmailAccountService>(fx.Host.TenantA).GetForEditAsync(accountId))!;
        edit.ImapPassword.Should().BeNull();

        var result = await fx.Host.Get<ImapConnectionTester>(fx.Host.TenantA).TestAsync(edit, accountId, CancellationToken.None);

        result.Succeeded.Should().BeTrue(result.Summary);
        result.MessageCount.Should().Be(MessageCount);

        var fromTenantB = await fx.Host.Get<ImapConnectionTester>(fx.Host.TenantB).TestAsync(edit, accountId, CancellationToken.None);

        fromTenantB.Failure.Should().Be(ConnectionFailureKind.NotFound);
        fromTenantB.Summary.Should().Be(EmailAccountService.NotFoundMessage);

        edit.ImapUsername = "eve@example.com";
        var changedUser = await fx.Host.Get<ImapConnectionTester>(fx.Host.TenantA).TestAsync(edit, accountId, CancellationToken.None);

        changedUser.Failure.Should().Be(ConnectionFailureKind.PasswordRequired);
        changedUser.Field.Should().Be(nameof(EmailAccountInput.ImapPassword));
        changedUser.Host.Should().BeNull("the old password must not be tried with another username");
        AssertNotLeaked(result);
    }

    [Fact]
    public async Task Without_an_IMAP_host_it_asks_for_one()
    {
        var result = await Test(new EmailAccountInput { DisplayName = "Support" });

        result.Failure.Should().Be(ConnectionFailureKind.InvalidInput);
        result.Field.Should().Be(nameof(EmailAccountInput.ImapHost));
    }

    [Fact]
    public async Task Without_an_IMAP_username_it_asks_for_one()
    {
        var result = await Test(Input(Dovecot.ImapPort, user: null));

        result.Failure.Should().Be(ConnectionFailureKind.InvalidInput);
        result.Field.Should().Be(nameof(EmailAccountInput.ImapUsername));
    }

    private async Task<int> CreateAccountAsync()
    {
        var servers = fx.Host.Get<MailServerService>(fx.Host.TenantA);
        var server = await servers.CreateAsync(new MailServerInput { Name = "Outbound", SmtpHost = "smtp.example.com" });
        var input = Input(Dovecot.ImapPort);
        input.EmailAddress = $"support-{Guid.NewGuid():N}@example.com";
        input.MailServerId = server.Value!.Id;
        var account = await fx.Host.Get<EmailAccountService>(fx.Host.TenantA).CreateAsync(input);
        account.Succeeded.Should().BeTrue(string.Join(", ", account.FieldErrors.Values));
        return account.Value!.Id;
    }

    private Task<ConnectionTestResult> Test(EmailAccountInput input) =>
        fx.Host.Get<ImapConnectionTester>(fx.Host.TenantA).TestAsync(input, null, CancellationToken.None);

    private EmailAccountInput Input(
        int port, string? host = null, bool useTls = true, string? user = User, string? password = Password,
        bool pinned = true, string? pin = null) => new()
    {
        DisplayName = "Support",
        ImapHost = host ?? Dovecot.Host,
        ImapPort = port,
        ImapUseTls = useTls,
        ImapUsername = user,
        ImapPassword = password,
        ImapPinnedCertificateSha256 = pin ?? (pinned ? Dovecot.CertificateSha256 : null),
    };

    private void AssertNotLeaked(ConnectionTestResult result, string password = Password)
    {
        fx.Host.Logs.AllText.Should().NotContain(password);
        string.Join("\n", result.Summary, result.Hint, result.Detail).Should().NotContain(password);
    }
}
