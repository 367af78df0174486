using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.EndToEnd;

internal static class EndToEndSeed
{
    /// <summary>A server and a "Support Inbox" account of Demo Tenant with IMAP on Dovecot (its certificate pinned), saved as the admin would.</summary>
    public static async Task<int> SeedSyncingAccountAsync(this PortalTestApp app, DovecotServer dovecot, string imapUser, string imapPassword,
        string serverName, string smtpHost)
    {
        await using var scope = app.Services.CreateScopeForTenant(DemoTenant.Id);
        var servers = scope.ServiceProvider.GetRequiredService<MailServerService>();
        var accounts = scope.ServiceProvider.GetRequiredService<EmailAccountService>();
        var server = (await servers.CreateAsync(new MailServerInput { Name = serverName, SmtpHost = smtpHost })).Value!;
        var account = await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = imapUser, DisplayName = "Support Inbox", MailServerId = server.Id,
            ImapHost = dovecot.Host, ImapPort = dovecot.ImapPort, ImapUsername = imapUser, ImapPassword = imapPassword,
            ImapPinnedCertificateSha256 = dovecot.CertificateSha256,
        });
        account.Succeeded.Should().BeTrue(string.Join(" ", account.FieldErrors.Values));
        return account.Value!.Id;
    }
}
