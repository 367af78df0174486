using System.Net;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>
/// Through the running app: a tenant admin's page shows only their tenant's data, and no stored password ever
/// reaches the browser or the logs.
/// </summary>
public sealed class SettingsPageTenancyTests : IAsyncLifetime
{
    private const string SettingsPath = "/communications/settings/email";
    private const string SmtpPasswordA = "smtp-Pa55word-of-A-7f3c";
    private const string SmtpPasswordB = "smtp-Pa55word-of-B-91d2";
    private const string ImapPasswordA = "imap-Pa55word-of-A-c4e8";
    private const string ImapPasswordB = "imap-Pa55word-of-B-0b6a";
    private const string ChangedSmtpPasswordA = "smtp-Changed-of-A-55aa";
    private const string ChangedImapPasswordA = "imap-Changed-of-A-66bb";

    private PortalTestApp app = default!;

    public async Task InitializeAsync()
    {
        app = await PortalTestApp.StartAsync();
        var serverA = await app.ServiceFor<MailServerService>(app.TenantA).CreateAsync(MailServer("Relay of A", "smtp-a.example.com", SmtpPasswordA));
        var serverB = await app.ServiceFor<MailServerService>(app.TenantB).CreateAsync(MailServer("Relay of B", "smtp-b.example.com", SmtpPasswordB));
        var accountA = await app.ServiceFor<EmailAccountService>(app.TenantA).CreateAsync(Account("sales@a.example.com", "Sales of A", serverA.Value!.Id, ImapPasswordA));
        await app.ServiceFor<EmailAccountService>(app.TenantB).CreateAsync(Account("sales@b.example.com", "Sales of B", serverB.Value!.Id, ImapPasswordB));

        // An edit that changes both passwords, so the logs cover add and edit.
        (await app.ServiceFor<MailServerService>(app.TenantA).UpdateAsync(serverA.Value.Id, MailServer("Relay of A", "smtp-a.example.com", ChangedSmtpPasswordA)))
            .Succeeded.Should().BeTrue();
        (await app.ServiceFor<EmailAccountService>(app.TenantA).UpdateAsync(accountA.Value!.Id, Account("sales@a.example.com", "Sales of A", serverA.Value.Id, ChangedImapPasswordA)))
            .Succeeded.Should().BeTrue();
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Each_tenant_admin_sees_only_their_own_servers_and_accounts()
    {
        var pageA = await (await app.SignedInClientAsync(app.AdminA)).GetStringAsync(SettingsPath);
        var pageB = await (await app.SignedInClientAsync(app.AdminB)).GetStringAsync(SettingsPath);

        pageA.Should().Contain("Relay of A").And.Contain("sales@a.example.com");
        pageA.Should().NotContain("Relay of B").And.NotContain("sales@b.example.com").And.NotContain("Tenant B");
        pageB.Should().Contain("Relay of B").And.Contain("sales@b.example.com");
        pageB.Should().NotContain("Relay of A").And.NotContain("sales@a.example.com").And.NotContain("Tenant A");
    }

    [Fact]
    public async Task The_prerendered_page_never_contains_a_stored_password_or_its_ciphertext()
    {
        var response = await (await app.SignedInClientAsync(app.AdminA)).GetAsync(SettingsPath);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        html.Should().Contain("Relay of A", "the page really rendered the data");
        foreach (var secret in await AllSecretsAsync())
        {
            html.Should().NotContain(secret);
        }
    }

    [Fact]
    public async Task Signing_in_and_the_add_edit_flow_never_write_a_password_to_the_logs()
    {
        await (await app.SignedInClientAsync(app.AdminA)).GetStringAsync(SettingsPath);
        await app.CreateBrowserClient().SignInAsync(app.AdminB.Email, "Wrong-Password-123");

        var logs = app.Logs.AllText;
        logs.Should().Contain("Mail server", "the flow was logged at all");
        foreach (var secret in (await AllSecretsAsync()).Append(app.AdminA.Password).Append("Wrong-Password-123"))
        {
            logs.Should().NotContain(secret);
        }
    }

    /// <summary>Every password used in this class, plus the ciphertexts actually stored.</summary>
    private async Task<IReadOnlyList<string>> AllSecretsAsync()
    {
        await using var db = await app.CreateDbContextAsync();
        var stored = await db.MailServers.Select(s => s.SmtpPasswordProtected)
            .Concat(db.EmailAccounts.Select(a => a.ImapPasswordProtected))
            .Where(s => s != null).Select(s => s!).ToListAsync();
        stored.Should().HaveCount(4, "both tenants have a server and an account with a password");
        return [SmtpPasswordA, SmtpPasswordB, ImapPasswordA, ImapPasswordB, ChangedSmtpPasswordA, ChangedImapPasswordA, .. stored];
    }

    private static MailServerInput MailServer(string name, string host, string password) => new()
    {
        Name = name, SmtpHost = host, SmtpPort = 587, SmtpUsername = "mailer", SmtpPassword = password, UseTls = true,
    };

    private static EmailAccountInput Account(string address, string displayName, int serverId, string password) => new()
    {
        EmailAddress = address, DisplayName = displayName, MailServerId = serverId,
        ImapHost = "imap.example.com", ImapPort = 993, ImapUsername = address, ImapPassword = password, ImapUseTls = true,
    };
}
