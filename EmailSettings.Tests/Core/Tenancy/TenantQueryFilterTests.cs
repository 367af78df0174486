using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sending;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>
/// The global query filter is the second line of defence: a query that forgets its tenant condition still sees one
/// tenant, and a context that was never given a tenant sees none.
/// </summary>
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

    [Fact]
    public async Task A_context_without_a_tenant_sees_no_tenant_owned_row_and_cannot_change_one()
    {
        var factory = host.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.TenantId.Should().BeNull();
            db.ActsForAllTenants.Should().BeFalse();
            (await db.MailServers.CountAsync()).Should().Be(0);
            (await db.EmailAccounts.CountAsync()).Should().Be(0);
            (await db.SyncedMessages.CountAsync()).Should().Be(0);
            (await db.EmailLog.CountAsync()).Should().Be(0);
            (await db.SyncedMessages.ExecuteDeleteAsync()).Should().Be(0);
            (await db.MailServers.ExecuteUpdateAsync(u => u.SetProperty(s => s.Name, "Renamed"))).Should().Be(0);
        }

        await using var scope = host.Services.CreateAsyncScope();
        var injected = scope.ServiceProvider.GetRequiredService<EmailSettingsDbContext>();
        (await injected.EmailAccounts.CountAsync()).Should().Be(0, "the context Identity's stores use is unscoped too");

        await using var all = await host.CreateDbContextAsync();
        all.ActsForAllTenants.Should().BeTrue();
        (await all.MailServers.Select(s => s.Name).ToListAsync()).Should().Equal($"S {host.TenantA}", $"S {host.TenantB}");
        (await all.SyncedMessages.CountAsync()).Should().Be(2);
    }

    [Fact]
    public async Task Users_and_tenants_are_not_tenant_owned_rows_so_sign_in_still_finds_them()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<TenantAdministration>()
            .CreateUserAsync("Tenant A", "admin@a.example.com", "Correct-Horse-Battery-1", isTenantAdmin: true);
        created.Succeeded.Should().BeTrue(created.Message);

        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
        var user = await users.FindByEmailAsync("admin@a.example.com");
        user.Should().NotBeNull();
        (await users.CheckPasswordAsync(user!, "Correct-Horse-Battery-1")).Should().BeTrue();
        (await users.IsInRoleAsync(user!, Roles.TenantAdmin)).Should().BeTrue();
        var claims = await scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.IUserClaimsPrincipalFactory<PortalUser>>()
            .CreateAsync(user!);
        claims.FindFirst(PortalClaimTypes.TenantId)!.Value.Should().Be(host.TenantA.ToString());
        claims.FindFirst(PortalClaimTypes.TenantName)!.Value.Should().Be("Tenant A");
    }

    [Fact]
    public async Task A_contexts_tenant_is_chosen_once_and_cannot_be_widened_afterwards()
    {
        var factory = host.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using var forA = await factory.CreateForTenantAsync(host.TenantA);
        await using var all = await factory.CreateForAllTenantsAsync();

        forA.Invoking(db => db.ScopeToAllTenants()).Should().Throw<InvalidOperationException>();
        forA.Invoking(db => db.ScopeToTenant(host.TenantB)).Should().Throw<InvalidOperationException>();
        all.Invoking(db => db.ScopeToTenant(host.TenantA)).Should().Throw<InvalidOperationException>();
        (await forA.MailServers.Select(s => s.TenantId).ToListAsync()).Should().Equal(host.TenantA);
        await FluentActions.Awaiting(() => factory.CreateForTenantAsync(Guid.Empty)).Should().ThrowAsync<ArgumentException>();
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class TenantQueryFilterTestsOnPostgres : TenantQueryFilterTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
