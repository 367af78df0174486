using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Secrets;

/// <summary>One admin's whole flow against real servers, with every log line of every level captured.</summary>
[Trait("Category", "Integration")]
public class PasswordsNeverLoggedTests
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private const string SmtpPassword = "Smtp-Flow-Secret-5521";
    private const string ImapPassword = "Imap-Flow-Secret-7734";
    private const string Mailbox = "flow@example.com";

    [Fact]
    public async Task Logs_of_adding_editing_testing_syncing_and_sending_never_contain_a_password()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        await using var smtp = await SmtpTestServer.StartAsync();
        dovecot.AddUser(Mailbox, ImapPassword);
        await dovecot.AppendAsync(Mailbox, ImapPassword, [DovecotServer.CreateMessage(1), DovecotServer.CreateMessage(2)]);
        smtp.AddUser("mailer", SmtpPassword);
        await using var host = await CoreTestHost.CreateAsync(Provider);
        var servers = host.GetForA<MailServerService>();
        var accounts = host.GetForA<EmailAccountService>();
        var smtpTester = host.GetForA<SmtpConnectionTester>();
        var imapTester = host.GetForA<ImapConnectionTester>();

        var serverInput = new MailServerInput
        {
            Name = "Flow SMTP", SmtpHost = smtp.Host, SmtpPort = smtp.StartTlsPort, SmtpUsername = "mailer",
            SmtpPassword = SmtpPassword + "-wrong", PinnedCertificateSha256 = smtp.CertificateSha256,
        };
        (await smtpTester.TestAsync(serverInput, null, default)).Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        serverInput.SmtpPassword = SmtpPassword;
        (await smtpTester.TestAsync(serverInput, null, default)).Succeeded.Should().BeTrue();
        var server = (await servers.CreateAsync(serverInput)).Value!;
        var serverEdit = (await servers.GetForEditAsync(server.Id))!;
        serverEdit.Name = "Flow SMTP relay";
        (await smtpTester.TestAsync(serverEdit, server.Id, default)).Succeeded.Should().BeTrue("a blank password means the stored one");
        (await servers.UpdateAsync(server.Id, serverEdit)).Succeeded.Should().BeTrue();

        var accountInput = new EmailAccountInput
        {
            EmailAddress = Mailbox, DisplayName = "Flow Inbox", MailServerId = server.Id, IsDefault = true,
            ImapHost = dovecot.Host, ImapPort = dovecot.ImapPort, ImapUsername = Mailbox, ImapPassword = ImapPassword,
            ImapPinnedCertificateSha256 = dovecot.CertificateSha256,
        };
        (await imapTester.TestAsync(accountInput, null, default)).Succeeded.Should().BeTrue();
        var account = (await accounts.CreateAsync(accountInput)).Value!;
        var accountEdit = (await accounts.GetForEditAsync(account.Id))!;
        accountEdit.DisplayName = "Flow Support";
        (await imapTester.TestAsync(accountEdit, account.Id, default)).Succeeded.Should().BeTrue();
        (await accounts.UpdateAsync(account.Id, accountEdit)).Succeeded.Should().BeTrue();

        var sync = await host.GetForA<SyncService>().RequestSyncAsync(account.Id);
        sync.Value!.Succeeded.Should().BeTrue();
        sync.Value.NewMessages.Should().Be(2);
        var sent = await host.GetForA<IEmailSender>().SendAsync(OutgoingEmail.TestMessage(account.Id, "Flow Support", "someone@example.org", DateTime.UtcNow));
        sent.Succeeded.Should().BeTrue();
        smtp.ReceivedMessages.Should().ContainSingle(m => m.AuthenticatedUser == "mailer");

        host.Logs.Entries.Count.Should().BeGreaterThan(20, "the flow logs at every level, so the check below reads real output");
        host.Logs.AllText.Should().NotContain(SmtpPassword).And.NotContain(ImapPassword);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class PasswordsNeverLoggedTestsOnPostgres : PasswordsNeverLoggedTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
