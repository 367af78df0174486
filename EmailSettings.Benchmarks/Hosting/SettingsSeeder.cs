using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Benchmarks.Hosting;

/// <summary>Fills a tenant with mail servers and accounts in every state a card can show.</summary>
public static class SettingsSeeder
{
    public static async Task SeedAsync(EmailSettingsDbContext db, SecretProtector secrets, Guid tenantId, int servers, int accounts, bool addTenant)
    {
        if (addTenant)
        {
            db.Tenants.Add(new Tenant { Id = tenantId, Name = $"Tenant {servers}/{accounts}", CreatedAt = DateTime.UtcNow });
        }
        var now = DateTime.UtcNow;
        var smtpSecret = secrets.Protect(SecretKind.SmtpPassword, "Smtp-Pa55word!");
        var imapSecret = secrets.Protect(SecretKind.ImapPassword, "Imap-Pa55word!");
        var serverRows = Enumerable.Range(1, servers).Select(i => new MailServer
        {
            TenantId = tenantId,
            Name = $"Server {i:D4}",
            SmtpHost = $"smtp{i}.example.com",
            SmtpPort = i % 3 == 0 ? 465 : 587,
            SmtpUsername = i % 2 == 0 ? $"user{i}" : null,
            SmtpPasswordProtected = i % 2 == 0 ? smtpSecret : null,
            UseTls = i % 5 != 0,
            IsDefault = i == 1,
            CreatedAt = now.AddDays(-i),
            UpdatedAt = now.AddHours(-i),
        }).ToList();
        db.MailServers.AddRange(serverRows);
        await db.SaveChangesAsync();

        var accountRows = Enumerable.Range(1, accounts).Select(i =>
        {
            var address = $"account{i:D5}@tenant{servers}x{accounts}.example.com";
            var withImap = i % 2 == 0;
            var failing = i % 10 == 0;
            return new EmailAccount
            {
                TenantId = tenantId,
                EmailAddress = address,
                NormalizedEmailAddress = address.ToUpperInvariant(),
                DisplayName = $"Account {i:D5}",
                MailServerId = serverRows[i % serverRows.Count].Id,
                IsDefault = i == 1,
                ImapHost = withImap ? "imap.example.com" : null,
                ImapUsername = withImap ? address : null,
                ImapPasswordProtected = withImap ? imapSecret : null,
                CreatedAt = now.AddDays(-i),
                UpdatedAt = now.AddHours(-i),
                LastSyncStartedAt = withImap ? now.AddMinutes(-i) : null,
                LastSyncSucceededAt = withImap && !failing ? now.AddMinutes(-i) : null,
                LastSyncFailedAt = failing ? now.AddMinutes(-i) : null,
                LastSyncError = failing ? "The IMAP server imap.example.com:993 did not answer in time." : null,
                LastSyncErrorKind = failing ? "TimedOut" : null,
                FailingSince = failing ? now.AddHours(-2) : null,
                ConsecutiveSyncFailures = failing ? 3 : 0,
            };
        }).ToList();
        db.EmailAccounts.AddRange(accountRows);
        await db.SaveChangesAsync();
    }
}
