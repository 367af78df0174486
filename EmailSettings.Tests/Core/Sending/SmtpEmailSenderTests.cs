using System.Net;
using System.Net.Sockets;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailSettings.Tests.Core.Sending;

[Trait("Category", "Integration")]
public class SmtpEmailSenderTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = null!;
    private SmtpTestServer smtp = null!;

    /// <summary>The Core's clock: stands still at a whole second, so stored times can be compared exactly.</summary>
    private readonly FakeTimeProvider clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider, b =>
        {
            b.Configuration["Sending:Timeout"] = "00:00:05";
            b.Services.AddSingleton<TimeProvider>(clock);
        });
        smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(SendingSetup.SmtpUser, SendingSetup.SmtpPassword);
    }

    public async Task DisposeAsync()
    {
        await smtp.DisposeAsync();
        await host.DisposeAsync();
    }

    private IEmailSender SenderOfA => host.Get<IEmailSender>(host.TenantA);

    private static OutgoingEmail Message(int? accountId = null, params string[] to) => new(
        to.Length == 0 ? ["customer@example.org"] : to,
        "Your invoice 2026-117",
        TextBody: "Dear customer, your invoice is attached.",
        HtmlBody: "<p>Dear customer, your <b>invoice</b> is attached.</p>",
        AccountId: accountId);

    private async Task<List<EmailLogEntry>> LogRowsAsync()
    {
        await using var db = await host.CreateDbContextAsync();
        return await db.EmailLog.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }

    [Fact]
    public async Task A_message_goes_out_through_the_accounts_server_with_the_right_envelope_From_header_and_login()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account, "customer@example.org", "billing@example.org"));

        result.Succeeded.Should().BeTrue(result.ErrorMessage);
        var received = smtp.ReceivedMessages.Should().ContainSingle().Subject;
        received.MailFrom.Should().Be("support@acme.example");
        received.RcptTo.Should().Equal("customer@example.org", "billing@example.org");
        received.AuthenticatedUser.Should().Be(SendingSetup.SmtpUser);
        received.Secure.Should().BeTrue("TLS on a port other than 465 means STARTTLS, required");
        var from = received.Message.From.Mailboxes.Should().ContainSingle().Subject;
        from.Name.Should().Be("Acme Support");
        from.Address.Should().Be("support@acme.example");
        received.Message.To.Mailboxes.Select(m => m.Address).Should().Equal("customer@example.org", "billing@example.org");
        received.Message.Subject.Should().Be("Your invoice 2026-117");
        received.Message.TextBody.Should().Contain("Dear customer, your invoice is attached.");
        received.Message.HtmlBody.Should().Contain("<b>invoice</b>");
        received.Message.MessageId.Should().Be(result.MessageId).And.EndWith("@acme.example");
        smtp.AuthenticationAttempts.Should().ContainSingle().Which.Succeeded.Should().BeTrue();

        result.ServerResponse.Should().NotBeNullOrWhiteSpace();
        result.AccountId.Should().Be(account);
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Id.Should().Be(result.LogEntryId);
        row.TenantId.Should().Be(host.TenantA);
        row.Status.Should().Be(EmailLogStatus.Sent);
        row.EmailAccountId.Should().Be(account);
        row.FromAddress.Should().Be("support@acme.example");
        row.Recipients.Should().Be("customer@example.org, billing@example.org");
        row.Subject.Should().Be("Your invoice 2026-117");
        row.MessageId.Should().Be(result.MessageId);
        row.ServerResponse.Should().Be(result.ServerResponse);
        row.Error.Should().BeNull();
        DateTime.SpecifyKind(row.AttemptedAt, DateTimeKind.Utc).Should().Be(clock.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public async Task The_log_never_holds_the_body_or_the_password()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeTrue(result.ErrorMessage);
        var row = (await LogRowsAsync()).Single();
        var stored = string.Join("\n", row.FromAddress, row.Recipients, row.Subject, row.ServerResponse, row.Error, row.MessageId);
        stored.Should().NotContain("Dear customer").And.NotContain(SendingSetup.SmtpPassword);
        host.Logs.AllText.Should().NotContain(SendingSetup.SmtpPassword).And.NotContain("Dear customer");
    }

    [Fact]
    public async Task Without_an_account_the_message_goes_out_through_the_tenants_default_account()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        await host.AddAccountAsync(host.TenantA, server, "sales@acme.example", "Acme Sales");
        var defaultAccount = await host.AddAccountAsync(host.TenantA, server, "noreply@acme.example", "Acme", isDefault: true);

        var result = await SenderOfA.SendAsync(Message(accountId: null));

        result.Succeeded.Should().BeTrue(result.ErrorMessage);
        result.AccountId.Should().Be(defaultAccount);
        var received = smtp.ReceivedMessages.Should().ContainSingle().Subject;
        received.MailFrom.Should().Be("noreply@acme.example");
        received.Message.From.Mailboxes.Single().Name.Should().Be("Acme");
        (await LogRowsAsync()).Single().EmailAccountId.Should().Be(defaultAccount);
    }

    [Fact]
    public async Task Without_a_default_account_nothing_is_sent_and_a_failed_attempt_is_logged()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        await host.AddAccountAsync(host.TenantA, server, "sales@acme.example", "Acme Sales");

        var result = await SenderOfA.SendAsync(Message(accountId: null));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.NoDefaultAccount);
        result.ErrorMessage.Should().Be("No default email account is set: mark an account as default or choose one.");
        smtp.MailFromCount.Should().Be(0);
        smtp.AuthenticationAttempts.Should().BeEmpty();
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Status.Should().Be(EmailLogStatus.Failed);
        row.Error.Should().Be(result.ErrorMessage);
        row.EmailAccountId.Should().BeNull();
        row.Recipients.Should().Be("customer@example.org");
        row.Subject.Should().Be("Your invoice 2026-117");
        row.Id.Should().Be(result.LogEntryId);
    }

    [Fact]
    public async Task An_account_whose_server_was_deleted_sends_nothing_and_says_how_to_fix_it()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support", isDefault: true);
        (await host.Get<MailServerService>(host.TenantA).DeleteAsync(server)).Succeeded.Should().BeTrue();

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.NoMailServer);
        result.ErrorMessage.Should().Be(
            "The account \"Acme Support\" (support@acme.example) has no mail server because its server was deleted: edit the account and choose a server.");
        smtp.MailFromCount.Should().Be(0);
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Status.Should().Be(EmailLogStatus.Failed);
        row.EmailAccountId.Should().Be(account);
        row.FromAddress.Should().Be("support@acme.example");
        row.Error.Should().Be(result.ErrorMessage);

        var viaDefault = await SenderOfA.SendAsync(Message(accountId: null));
        viaDefault.FailureKind.Should().Be(SendFailureKind.NoMailServer);
        smtp.MailFromCount.Should().Be(0);
    }

    [Fact]
    public async Task A_wrong_smtp_password_sends_nothing_and_logs_a_failure_without_any_password()
    {
        const string wrongPassword = "Wr0ng-Guess-Pa55";
        var server = await host.AddServerAsync(host.TenantA, smtp, password: wrongPassword);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.Authentication);
        result.ErrorMessage.Should().Contain("refused the login for user \"mailer@example.com\"")
            .And.Contain("Check the SMTP Username and SMTP Password of the server \"Test SMTP\"");
        smtp.AuthenticationAttempts.Should().NotBeEmpty().And.OnlyContain(a => !a.Succeeded && a.User == SendingSetup.SmtpUser);
        smtp.MailFromCount.Should().Be(0);
        smtp.ReceivedMessages.Should().BeEmpty();

        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Status.Should().Be(EmailLogStatus.Failed);
        row.Error.Should().Be(result.ErrorMessage);
        var stored = string.Join("\n", row.FromAddress, row.Recipients, row.Subject, row.ServerResponse, row.Error, row.MessageId);
        stored.Should().NotContain(wrongPassword).And.NotContain(SendingSetup.SmtpPassword);
        result.ServerResponse?.Should().NotContain(wrongPassword);
        host.Logs.AllText.Should().NotContain(wrongPassword);
    }

    [Fact]
    public async Task A_refused_recipient_sends_nothing_and_logs_the_servers_reply()
    {
        await using var refusing = await RefusingSmtpServer.StartAsync();
        refusing.RefuseRecipient("gone@example.org");
        var server = await host.AddServerAsync(host.TenantA, refusing.Host, refusing.Port, useTls: false, username: null, password: null);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account, "customer@example.org", "gone@example.org"));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.RecipientRejected);
        // SmtpServer appends ", N retry(ies) remaining." to a refusal; real servers add their own details too.
        result.ServerResponse.Should().StartWith($"550 {RefusingSmtpServer.RecipientRefusal}");
        result.ErrorMessage.Should().StartWith($"The mail server refused the recipient gone@example.org: 550 {RefusingSmtpServer.RecipientRefusal}")
            .And.EndWith("Nothing was sent.");
        refusing.AcceptedCount.Should().Be(0);
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Status.Should().Be(EmailLogStatus.Failed);
        row.ServerResponse.Should().Be(result.ServerResponse);
        row.Error.Should().Be(result.ErrorMessage);
        row.MessageId.Should().Be(result.MessageId);
    }

    [Fact]
    public async Task A_message_refused_after_DATA_is_logged_as_failed_with_the_servers_reply()
    {
        await using var refusing = await RefusingSmtpServer.StartAsync();
        refusing.RefuseAllMessages = true;
        var server = await host.AddServerAsync(host.TenantA, refusing.Host, refusing.Port, useTls: false, username: null, password: null);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.MessageRejected);
        result.ServerResponse.Should().Be($"554 {RefusingSmtpServer.MessageRefusal}");
        refusing.AcceptedCount.Should().Be(0);
        (await LogRowsAsync()).Single().Status.Should().Be(EmailLogStatus.Failed);
    }

    [Fact]
    public async Task A_certificate_that_is_neither_trusted_nor_pinned_stops_the_send_before_login()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp.Host, smtp.StartTlsPort, useTls: true, pinnedSha256: null);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.Certificate);
        result.ErrorMessage.Should().Contain(smtp.CertificateSha256).And.Contain("run Test Connection and trust the certificate");
        smtp.AuthenticationAttempts.Should().BeEmpty();
        smtp.MailFromCount.Should().Be(0);
        (await LogRowsAsync()).Single().Status.Should().Be(EmailLogStatus.Failed);
    }

    [Fact]
    public async Task Tls_off_sends_in_plain_text_to_a_server_without_tls()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp.Host, smtp.PlainPort, useTls: false);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeTrue(result.ErrorMessage);
        var received = smtp.ReceivedMessages.Should().ContainSingle().Subject;
        received.Secure.Should().BeFalse();
        received.AuthenticatedUser.Should().Be(SendingSetup.SmtpUser);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_a_refused_connection()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var server = await host.AddServerAsync(host.TenantA, "127.0.0.1", closedPort, useTls: false);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.Connection);
        result.ErrorMessage.Should().Be(
            $"The mail server 127.0.0.1:{closedPort} refused the connection. Check the SMTP Host and SMTP Port of the server \"Test SMTP\".");
        (await LogRowsAsync()).Single().Error.Should().Be(result.ErrorMessage);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_after_the_configured_time()
    {
        await using var silent = new SilentListener();
        var server = await host.AddServerAsync(host.TenantA, silent.Host, silent.Port, useTls: false);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.Timeout);
        result.ErrorMessage.Should().Be($"The mail server 127.0.0.1:{silent.Port} did not answer within 5 seconds while connecting. Nothing was sent.");
        (await LogRowsAsync()).Single().Status.Should().Be(EmailLogStatus.Failed);
    }

    [Fact]
    public async Task An_invalid_recipient_is_refused_before_connecting_and_logged()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var result = await SenderOfA.SendAsync(Message(account, "not an address"));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.InvalidMessage);
        result.ErrorMessage.Should().Be("\"not an address\" is not a valid email address.");
        smtp.MailFromCount.Should().Be(0);
        (await LogRowsAsync()).Single().Recipients.Should().Be("not an address");
    }

    [Fact]
    public async Task Another_tenants_account_id_behaves_as_not_found_and_sends_nothing()
    {
        var serverOfA = await host.AddServerAsync(host.TenantA, smtp);
        var accountOfA = await host.AddAccountAsync(host.TenantA, serverOfA, "support@acme.example", "Acme Support", isDefault: true);

        var result = await host.Get<IEmailSender>(host.TenantB).SendAsync(Message(accountOfA));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.AccountNotFound);
        result.ErrorMessage.Should().Be(SmtpEmailSender.AccountNotFoundMessage);
        result.FromAddress.Should().BeNull();
        smtp.MailFromCount.Should().Be(0);
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.TenantId.Should().Be(host.TenantB);
        row.EmailAccountId.Should().BeNull();
        row.FromAddress.Should().BeEmpty();
    }

    [Fact]
    public async Task A_caller_who_is_not_a_tenant_admin_cannot_send_and_nothing_is_logged()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");

        var send = () => host.Get<IEmailSender>(host.TenantA, isAdmin: false).SendAsync(Message(account));

        await send.Should().ThrowAsync<TenantAccessDeniedException>();
        smtp.MailFromCount.Should().Be(0);
        (await LogRowsAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Automation_sends_in_a_scope_for_its_tenant_and_cannot_reach_another_tenants_account()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var accountOfA = await host.AddAccountAsync(host.TenantA, server, "noreply@acme.example", "Acme", isDefault: true);

        // Background work has no signed-in admin: it acts for the tenant it works for, chosen when its scope is made.
        await using (var forA = host.Services.CreateScopeForTenant(host.TenantA))
        {
            var result = await forA.ServiceProvider.GetRequiredService<IEmailSender>().SendAsync(Message(accountId: null));
            result.Succeeded.Should().BeTrue(result.ErrorMessage);
        }
        await using (var forB = host.Services.CreateScopeForTenant(host.TenantB))
        {
            var sender = forB.ServiceProvider.GetRequiredService<IEmailSender>();
            (await sender.SendAsync(Message(accountOfA))).FailureKind.Should().Be(SendFailureKind.AccountNotFound);
            (await sender.SendAsync(Message(accountId: null))).FailureKind.Should().Be(SendFailureKind.NoDefaultAccount,
                "tenant A's default account is not tenant B's");
        }

        smtp.ReceivedMessages.Should().ContainSingle().Which.MailFrom.Should().Be("noreply@acme.example");
        (await LogRowsAsync()).Select(r => (r.TenantId, r.Status, r.EmailAccountId)).Should().Equal(
            (host.TenantA, EmailLogStatus.Sent, accountOfA), (host.TenantB, EmailLogStatus.Failed, null), (host.TenantB, EmailLogStatus.Failed, null));
    }

    [Fact]
    public void A_password_echoed_by_a_server_is_masked()
    {
        new SecretScrubber(["Pa55word!"]).Scrub("535 bad credentials for Pa55word!").Should().Be("535 bad credentials for ********");
        new SecretScrubber([null]).Scrub("nothing to hide").Should().Be("nothing to hide");
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SmtpEmailSenderTestsOnPostgres : SmtpEmailSenderTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
