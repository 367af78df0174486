using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>Tenant A's administrator cannot see, change or link to tenant B's accounts and servers.</summary>
public class EmailAccountTenancyTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = default!;
    private int serverA;
    private int serverB;
    private int accountA;
    private int accountB;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider);
        serverA = (await host.Get<MailServerService>(host.TenantA).CreateAsync(MailServerTenancyTests.Input("Server of A", "smtp-a.example.com"))).Value!.Id;
        serverB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(MailServerTenancyTests.Input("Server of B", "smtp-b.example.com"))).Value!.Id;
        accountA = (await host.Get<EmailAccountService>(host.TenantA).CreateAsync(Input("a@example.com", serverA))).Value!.Id;
        accountB = (await host.Get<EmailAccountService>(host.TenantB).CreateAsync(Input("b@example.com", serverB))).Value!.Id;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Listing_shows_only_the_callers_own_accounts()
    {
        (await host.Get<EmailAccountService>(host.TenantA).ListAsync()).Select(a => a.Id).Should().Equal(accountA);
        (await host.Get<EmailAccountService>(host.TenantB).ListAsync()).Select(a => a.Id).Should().Equal(accountB);
    }

    [Fact]
    public async Task Getting_another_tenants_account_by_id_finds_nothing()
    {
        var accounts = host.Get<EmailAccountService>(host.TenantA);

        (await accounts.GetAsync(accountB)).Should().BeNull();
        (await accounts.GetForEditAsync(accountB)).Should().BeNull();
        (await accounts.GetAsync(accountA)).Should().NotBeNull("the caller's own account is found by the same call");
    }

    [Fact]
    public async Task Creating_an_account_on_another_tenants_server_is_refused_as_an_unknown_server()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<EmailAccountService>(host.TenantA).CreateAsync(Input("new@example.com", serverB));

        result.Status.Should().Be(ResultStatus.Invalid);
        result.ErrorFor(nameof(EmailAccountInput.MailServerId)).Should().Be(EmailAccountService.UnknownServerMessage);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Linking_an_own_account_to_another_tenants_server_is_refused()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<EmailAccountService>(host.TenantA).UpdateAsync(accountA, Input("a@example.com", serverB));

        result.Status.Should().Be(ResultStatus.Invalid);
        result.ErrorFor(nameof(EmailAccountInput.MailServerId)).Should().Be(EmailAccountService.UnknownServerMessage);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Updating_another_tenants_account_reports_not_found_and_leaves_it_unchanged()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<EmailAccountService>(host.TenantA).UpdateAsync(accountB, Input("b@example.com", serverA, "stolen-password"));

        result.Status.Should().Be(ResultStatus.NotFound);
        result.Message.Should().Be(EmailAccountService.NotFoundMessage);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Deleting_another_tenants_account_reports_not_found_and_keeps_it()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<EmailAccountService>(host.TenantA).DeleteAsync(accountB);

        result.Status.Should().Be(ResultStatus.NotFound);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Setting_another_tenants_account_as_default_reports_not_found_and_changes_no_default()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<EmailAccountService>(host.TenantA).SetDefaultAsync(accountB);

        result.Status.Should().Be(ResultStatus.NotFound);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task The_same_address_can_exist_in_two_tenants_without_either_seeing_the_other()
    {
        var result = await host.Get<EmailAccountService>(host.TenantA).CreateAsync(Input("b@example.com", serverA));

        result.Succeeded.Should().BeTrue("address uniqueness is per tenant");
        (await host.Get<EmailAccountService>(host.TenantB).ListAsync()).Select(a => a.Id).Should().Equal(accountB);
    }

    public static TheoryData<string> Operations => new(AccountOperations.Keys);

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_user_of_the_tenant_without_the_admin_role_is_refused(string operation)
    {
        var before = await SnapshotAsync();
        var accounts = host.Get<EmailAccountService>(host.TenantA, isAdmin: false);

        var call = () => AccountOperations[operation](accounts, accountA, serverA);

        (await call.Should().ThrowAsync<TenantAccessDeniedException>()).WithMessage("Only tenant administrators*");
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_caller_without_a_tenant_is_refused(string operation)
    {
        var before = await SnapshotAsync();
        var accounts = host.Scope(tenantId: null).GetRequiredService<EmailAccountService>();

        var call = () => AccountOperations[operation](accounts, accountA, serverA);

        (await call.Should().ThrowAsync<TenantAccessDeniedException>()).WithMessage("Sign in*");
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    private static readonly Dictionary<string, Func<EmailAccountService, int, int, Task>> AccountOperations = new()
    {
        ["list"] = (s, _, _) => s.ListAsync(),
        ["get"] = (s, id, _) => s.GetAsync(id),
        ["get for edit"] = (s, id, _) => s.GetForEditAsync(id),
        ["create"] = (s, _, server) => s.CreateAsync(Input("new@example.com", server)),
        ["update"] = (s, id, server) => s.UpdateAsync(id, Input("a@example.com", server)),
        ["delete"] = (s, id, _) => s.DeleteAsync(id),
        ["set default"] = (s, id, _) => s.SetDefaultAsync(id),
    };

    internal static EmailAccountInput Input(string address, int serverId, string imapPassword = "imap-secret-1") => new()
    {
        EmailAddress = address,
        DisplayName = $"Inbox {address}",
        MailServerId = serverId,
        ImapHost = "imap.example.com",
        ImapPort = 993,
        ImapUsername = address,
        ImapPassword = imapPassword,
        ImapUseTls = true,
    };

    /// <summary>Every stored account and server row of both tenants, as stored (password ciphertext included).</summary>
    private async Task<(List<AccountRow> Accounts, List<int> Servers)> SnapshotAsync()
    {
        await using var db = await host.CreateDbContextAsync();
        var accounts = await db.EmailAccounts.AsNoTracking().OrderBy(a => a.Id)
            .Select(a => new AccountRow(a.Id, a.TenantId, a.EmailAddress, a.DisplayName, a.MailServerId, a.IsDefault,
                a.ImapHost, a.ImapUsername, a.ImapPasswordProtected, a.UpdatedAt))
            .ToListAsync();
        var servers = await db.MailServers.AsNoTracking().OrderBy(s => s.Id).Select(s => s.Id).ToListAsync();
        return (accounts, servers);
    }

    private sealed record AccountRow(
        int Id, Guid TenantId, string Address, string DisplayName, int? ServerId, bool IsDefault,
        string? ImapHost, string? ImapUsername, string? ImapPasswordProtected, DateTime UpdatedAt);
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class EmailAccountTenancyTestsOnPostgres : EmailAccountTenancyTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
