using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>Tenant A's administrator cannot see or change tenant B's servers; callers without the role or a tenant get nothing.</summary>
public class MailServerTenancyTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = default!;
    private int serverA;
    private int serverB;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider);
        serverA = (await host.Get<MailServerService>(host.TenantA).CreateAsync(Input("Server of A", "smtp-a.example.com"))).Value!.Id;
        serverB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(Input("Server of B", "smtp-b.example.com"))).Value!.Id;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Listing_shows_only_the_callers_own_servers()
    {
        var listA = await host.Get<MailServerService>(host.TenantA).ListAsync();
        var listB = await host.Get<MailServerService>(host.TenantB).ListAsync();

        listA.Select(s => s.Id).Should().Equal(serverA);
        listB.Select(s => s.Id).Should().Equal(serverB);
    }

    [Fact]
    public async Task Getting_another_tenants_server_by_id_finds_nothing()
    {
        var servers = host.Get<MailServerService>(host.TenantA);

        (await servers.GetAsync(serverB)).Should().BeNull();
        (await servers.GetForEditAsync(serverB)).Should().BeNull();
        (await servers.GetAsync(serverA)).Should().NotBeNull("the caller's own server is found by the same call");
    }

    [Fact]
    public async Task Updating_another_tenants_server_reports_not_found_and_leaves_it_unchanged()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<MailServerService>(host.TenantA).UpdateAsync(serverB, Input("Hijacked", "evil.example.com", "stolen-password"));

        result.Status.Should().Be(ResultStatus.NotFound);
        result.Message.Should().Be(MailServerService.NotFoundMessage);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Deleting_another_tenants_server_reports_not_found_and_keeps_it()
    {
        var before = await SnapshotAsync();

        var result = await host.Get<MailServerService>(host.TenantA).DeleteAsync(serverB);

        result.Status.Should().Be(ResultStatus.NotFound);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Setting_another_tenants_server_as_default_reports_not_found_and_changes_no_default()
    {
        var secondOfB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(Input("Second of B", "smtp2-b.example.com"))).Value!.Id;
        var before = await SnapshotAsync();

        var result = await host.Get<MailServerService>(host.TenantA).SetDefaultAsync(secondOfB);

        result.Status.Should().Be(ResultStatus.NotFound);
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    public static TheoryData<string> Operations => new(ServerOperations.Keys);

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_user_of_the_tenant_without_the_admin_role_is_refused(string operation)
    {
        var before = await SnapshotAsync();
        var servers = host.Get<MailServerService>(host.TenantA, isAdmin: false);

        var call = () => ServerOperations[operation](servers, serverA);

        (await call.Should().ThrowAsync<TenantAccessDeniedException>()).WithMessage("Only tenant administrators*");
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_caller_without_a_tenant_is_refused(string operation)
    {
        var before = await SnapshotAsync();
        var servers = host.Scope(tenantId: null).GetRequiredService<MailServerService>();

        var call = () => ServerOperations[operation](servers, serverA);

        (await call.Should().ThrowAsync<TenantAccessDeniedException>()).WithMessage("Sign in*");
        (await SnapshotAsync()).Should().BeEquivalentTo(before);
    }

    private static readonly Dictionary<string, Func<MailServerService, int, Task>> ServerOperations = new()
    {
        ["list"] = (s, _) => s.ListAsync(),
        ["any"] = (s, _) => s.AnyAsync(),
        ["get"] = (s, id) => s.GetAsync(id),
        ["get for edit"] = (s, id) => s.GetForEditAsync(id),
        ["create"] = (s, _) => s.CreateAsync(Input("New", "smtp-new.example.com")),
        ["update"] = (s, id) => s.UpdateAsync(id, Input("Renamed", "smtp-renamed.example.com")),
        ["delete"] = (s, id) => s.DeleteAsync(id),
        ["set default"] = (s, id) => s.SetDefaultAsync(id),
    };

    internal static MailServerInput Input(string name, string host, string password = "server-secret-1") => new()
    {
        Name = name,
        SmtpHost = host,
        SmtpPort = 587,
        SmtpUsername = "mailer",
        SmtpPassword = password,
        UseTls = true,
    };

    /// <summary>Every stored server row of both tenants, as stored (password ciphertext included).</summary>
    private async Task<List<Row>> SnapshotAsync()
    {
        await using var db = await host.CreateDbContextAsync();
        return await db.MailServers.AsNoTracking().OrderBy(s => s.Id)
            .Select(s => new Row(s.Id, s.TenantId, s.Name, s.SmtpHost, s.SmtpPort, s.SmtpUsername, s.SmtpPasswordProtected, s.UseTls, s.IsDefault, s.UpdatedAt))
            .ToListAsync();
    }

    private sealed record Row(
        int Id, Guid TenantId, string Name, string Host, int Port, string? Username, string? PasswordProtected, bool UseTls, bool IsDefault, DateTime UpdatedAt);
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class MailServerTenancyTestsOnPostgres : MailServerTenancyTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
