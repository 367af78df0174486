using System.Net;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>In Development the README's demo users exist and behave as documented.</summary>
public sealed class DevelopmentDemoUsersTests : IAsyncLifetime
{
    private const string SettingsPath = "/communications/settings/email";
    private PortalTestApp app = default!;

    public async Task InitializeAsync() => app = await PortalTestApp.StartAsync(environment: "Development");

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Theory]
    [InlineData(DemoUsers.DemoAdminEmail, DemoTenant.Name)]
    [InlineData(DemoUsers.NorthwindAdminEmail, DemoUsers.NorthwindTenantName)]
    public async Task Each_demo_tenant_admin_signs_in_to_email_settings_of_their_tenant(string email, string tenantName)
    {
        var client = app.CreateBrowserClient();

        (await client.SignInAsync(email, DemoUsers.Password, SettingsPath)).RedirectTarget().Should().Be(SettingsPath);

        var page = await client.GetAsync(SettingsPath);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain(tenantName).And.Contain(email);
    }

    [Theory]
    [InlineData(DemoUsers.DemoUserEmail)]
    [InlineData(DemoUsers.NorthwindUserEmail)]
    public async Task Each_demo_user_without_the_role_is_denied_email_settings(string email)
    {
        var client = app.CreateBrowserClient();
        (await client.SignInAsync(email, DemoUsers.Password)).StatusCode.Should().Be(HttpStatusCode.Redirect);

        (await client.GetAsync(SettingsPath)).RedirectTarget().Should().StartWith("/account/access-denied");
    }

    [Fact]
    public async Task The_demo_tenant_keeps_its_well_known_id_and_seeding_again_changes_nothing()
    {
        await app.Services.SeedDemoUsersAsync();

        await using var db = await app.CreateDbContextAsync();
        (await db.Tenants.SingleAsync(t => t.Name == DemoTenant.Name)).Id.Should().Be(DemoTenant.Id);
        (await db.Tenants.SingleAsync(t => t.Name == DemoUsers.NorthwindTenantName)).Id.Should().Be(DemoUsers.NorthwindTenantId);
        (await db.Users.CountAsync(u => u.Email!.EndsWith(".local"))).Should().Be(DemoUsers.All.Count);
    }
}
