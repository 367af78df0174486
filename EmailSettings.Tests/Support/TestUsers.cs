using EmailSettings.Core.Identity;
using EmailSettings.Core.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Support;

/// <summary>A user a test signs in as.</summary>
public sealed record TestUser(Guid TenantId, string Email, string Password, bool IsTenantAdmin);

/// <summary>
/// Creates tenants and Identity users through the real <see cref="TenantAdministration"/> (same password policy,
/// same role), in any host that runs the Core: <see cref="CoreTestHost"/> or <see cref="PortalTestApp"/>.
/// </summary>
public static class TestUsers
{
    /// <summary>The README's Development admin of "Demo Tenant", seeded when the Portal runs in Development.</summary>
    public static TestUser DemoAdmin { get; } = new(DemoTenant.Id, DemoUsers.DemoAdminEmail, DemoUsers.Password, IsTenantAdmin: true);

    /// <summary>The Development user of "Demo Tenant" without the TenantAdmin role.</summary>
    public static TestUser DemoMember { get; } = new(DemoTenant.Id, DemoUsers.DemoUserEmail, DemoUsers.Password, IsTenantAdmin: false);

    /// <summary>Satisfies the portal's password policy; tests use it for every user unless they need another.</summary>
    public const string Password = "Test-Password-2026";

    public static async Task<TestUser> CreateAsync(
        IServiceProvider services, Guid tenantId, string email, bool isTenantAdmin, string tenantName = "", string password = Password)
    {
        await using var scope = services.CreateAsyncScope();
        var administration = scope.ServiceProvider.GetRequiredService<TenantAdministration>();
        var result = await administration.CreateUserAsync(
            tenantName.Length > 0 ? tenantName : $"Tenant {tenantId:N}", email, password, isTenantAdmin, newTenantId: tenantId);
        result.Succeeded.Should().BeTrue(string.Join(" ", result.FieldErrors.Values));
        return new TestUser(tenantId, email, password, isTenantAdmin);
    }

    public static Task<TestUser> CreateAdminAsync(IServiceProvider services, Guid tenantId, string email) =>
        CreateAsync(services, tenantId, email, isTenantAdmin: true);

    public static Task<TestUser> CreateNonAdminAsync(IServiceProvider services, Guid tenantId, string email) =>
        CreateAsync(services, tenantId, email, isTenantAdmin: false);
}
