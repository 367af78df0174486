using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sending;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>The global query filter is the second line of defence: a query that forgets its tenant condition still sees one tenant.</summary>
public class TenantQueryFilterTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = default!;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider);
        await using var db = await host.CreateDbContextAsync();
        foreach (var tenant in new[] { host.TenantA, host.TenantB })
        {
            var now = DateTime.UtcNow;
            var server = new MailServer { TenantId = tenant, Name = $"S {tenant}", SmtpHost = "smtp.example.com", CreatedAt = now, UpdatedAt = now };
            var account = new EmailAccount
            {
                TenantId = tenant, EmailAddress = $"{tenant:N}@example.com", NormalizedEmailAddress = $"{tenant:N}@EXAMPLE.COM",
                DisplayName = "Inbox", MailServer = server, CreatedAt = now, UpdatedAt = now,
            };
            db.AddRange(server, account);
            await db.SaveChangesAsync();
            db.SyncedMessages.Add(new SyncedMessage { TenantId = tenant, EmailAccountId = account.Id, UidValidity = 1, Uid = 1, Subject = "Hello", SyncedAt = now });
            db.EmailLog.Add(new EmailLogEntry { TenantId = tenant, EmailAccountId = account.Id, FromAddress = account.EmailAddress, AttemptedAt = now, Status = EmailLogStatus.Sent });
            await db.SaveChangesAsync();
        }
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_context_created_for_a_tenant_returns_only_that_tenants_rows_from_unconditioned_queries()
    {
        var factory = host.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using var db = await factory.CreateForTenantAsync(host.TenantA);

        (await db.MailServers.Select(x => x.TenantId).ToListAsync()).Should().Equal(host.TenantA);
        (await db.EmailAccounts.Select(x => x.TenantId).ToListAsync()).Should().Equal(host.TenantA);
        (await db.SyncedMessages.Select(x => x.TenantId).ToListAsync()).Should().Equal(host.TenantA);
        (await db.EmailLog.Select(x => x.TenantId).ToListAsync()).Should().Equal(host.TenantA);
    }

    [Fact]
    public async Task Bulk_updates_and_deletes_through_a_tenant_context_cannot_touch_other_tenants()
    {
        var factory = host.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using (var db = await factory.CreateForTenantAsync(host.TenantA))
        {
            await db.SyncedMessages.ExecuteDeleteAsync();
            await db.MailServers.ExecuteUpdateAsync(u => u.SetProperty(s => s.Name, "Renamed"));
        }

        await using var all = await host.CreateDbContextAsync();
        (await all.SyncedMessages.Select(m => m.TenantId).ToListAsync()).Should().Equal(host.TenantB);
        (await all.MailServers.Where(s => s.TenantId == host.TenantB).Select(s => s.Name).SingleAsync()).Should().Be($"S {host.TenantB}");
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class TenantQueryFilterTestsOnPostgres : TenantQueryFilterTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
