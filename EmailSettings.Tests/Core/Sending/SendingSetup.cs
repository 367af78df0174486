using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Sending;

/// <summary>Servers and accounts created through the real services, as an admin would.</summary>
internal static class SendingSetup
{
    public const string SmtpUser = "mailer@example.com";
    public const string SmtpPassword = "Smtp-Secr3t-Pa55!";

    public static async Task<int> AddServerAsync(
        this CoreTestHost host, Guid tenantId, string smtpHost, int port, bool useTls,
        string? username = SmtpUser, string? password = SmtpPassword, string? pinnedSha256 = null, string name = "Test SMTP")
    {
        var result = await host.Get<MailServerService>(tenantId).CreateAsync(new MailServerInput
        {
            Name = name,
            SmtpHost = smtpHost,
            SmtpPort = port,
            UseTls = useTls,
            SmtpUsername = username,
            SmtpPassword = password,
            PinnedCertificateSha256 = pinnedSha256,
        });
        result.Succeeded.Should().BeTrue(result.Message);
        return result.Value!.Id;
    }

    /// <summary>A server pointing at the STARTTLS endpoint of the test server, its self-signed certificate pinned.</summary>
    public static Task<int> AddServerAsync(this CoreTestHost host, Guid tenantId, SmtpTestServer smtp, string password = SmtpPassword) =>
        host.AddServerAsync(tenantId, smtp.Host, smtp.StartTlsPort, useTls: true, SmtpUser, password, smtp.CertificateSha256);

    public static async Task<int> AddAccountAsync(
        this CoreTestHost host, Guid tenantId, int serverId, string address, string displayName, bool isDefault = false)
    {
        var result = await host.Get<EmailAccountService>(tenantId).CreateAsync(new EmailAccountInput
        {
            EmailAddress = address,
            DisplayName = displayName,
            MailServerId = serverId,
            IsDefault = isDefault,
        });
        result.Succeeded.Should().BeTrue(result.Message);
        return result.Value!.Id;
    }
}
