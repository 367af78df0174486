using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>Background work acts for one explicitly chosen tenant, with the same isolation as a signed-in admin.</summary>
public class TenantScopeTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = default!;
    private int serverA;
    private int serverB;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider);
        serverA = (await host.Get<MailServerService>(host.TenantA).CreateAsync(MailServerTenancyTests.Input("Server of A", "smtp-a.example.com"))).Value!.Id;
        serverB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(MailServerTenancyTests.Input("Server of B", "smtp-b.example.com"))).Value!.Id;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_scope_created_for_a_tenant_sees_and_changes_only_that_tenants_data()
    {
        await using var scope = host.Services.CreateScopeForTenant(host.TenantB);
        var servers = scope.ServiceProvider.GetRequiredService<MailServerService>();

        (await servers.ListAsync()).Select(s => s.Id).Should().Equal(serverB);
        (await servers.GetAsync(serverA)).Should().BeNull();
        (await servers.DeleteAsync(serverA)).Status.Should().Be(ResultStatus.NotFound);
        (await host.Get<MailServerService>(host.TenantA).GetAsync(serverA)).Should().NotBeNull();
    }

    [Fact]
    public async Task A_scope_without_an_explicit_tenant_acts_for_its_caller_and_refuses_nobody_signed_in()
    {
        await using var scope = host.Services.CreateAsyncScope();

        var call = () => scope.ServiceProvider.GetRequiredService<MailServerService>().ListAsync();

        await call.Should().ThrowAsync<TenantAccessDeniedException>();
    }

    [Fact]
    public async Task The_tenant_cannot_be_switched_once_the_scope_has_resolved_it()
    {
        await using var scope = host.Services.CreateScopeForTenant(host.TenantA);
        scope.ServiceProvider.GetRequiredService<ITenantContext>().TenantId.Should().Be(host.TenantA);

        var switching = () => scope.ServiceProvider.GetRequiredService<ExplicitTenant>().ActAs(new FixedTenantContext(host.TenantB));

        switching.Should().Throw<InvalidOperationException>();
        scope.ServiceProvider.GetRequiredService<ITenantContext>().TenantId.Should().Be(host.TenantA);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class TenantScopeTestsOnPostgres : TenantScopeTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
