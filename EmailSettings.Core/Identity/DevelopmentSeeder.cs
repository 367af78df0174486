using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Identity;

/// <summary>
/// The demo sign-ins for local development, listed in the README. Only the Portal's Development environment seeds
/// them; outside Development nothing is seeded and the only way in is the <c>create-admin</c> command.
/// </summary>
public static class DemoUsers
{
    public static readonly Guid NorthwindTenantId = new("5b0c7e52-8a7d-4f0e-9c41-6d2a9e8b3f02");
    public const string NorthwindTenantName = "Northwind";

    public const string DemoAdminEmail = "admin@demo.local";
    public const string DemoUserEmail = "user@demo.local";
    public const string NorthwindAdminEmail = "admin@northwind.local";
    public const string NorthwindUserEmail = "user@northwind.local";

    /// <summary>Development only. Every demo user has this password.</summary>
    public const string Password = "Demo-Password-2026";

    public static IReadOnlyList<(Guid TenantId, string TenantName, string Email, bool IsTenantAdmin)> All { get; } =
    [
        (DemoTenant.Id, DemoTenant.Name, DemoAdminEmail, true),
        (DemoTenant.Id, DemoTenant.Name, DemoUserEmail, false),
        (NorthwindTenantId, NorthwindTenantName, NorthwindAdminEmail, true),
        (NorthwindTenantId, NorthwindTenantName, NorthwindUserEmail, false),
    ];
}

public static class DevelopmentSeeder
{
    /// <summary>Creates the two demo tenants and their users when missing. Safe to run on every start.</summary>
    public static async Task SeedDemoUsersAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<TenantAdministration>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DevelopmentSeeder));
        foreach (var demo in DemoUsers.All)
        {
            await admin.EnsureTenantAsync(demo.TenantName, demo.TenantId, ct);
            if (await users.FindByEmailAsync(demo.Email) is not null)
            {
                continue;
            }
            var result = await admin.CreateUserAsync(demo.TenantName, demo.Email, DemoUsers.Password, demo.IsTenantAdmin, demo.TenantId, ct);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(
                    $"Could not seed the demo user {demo.Email}: {string.Join(" ", result.FieldErrors.Values)}");
            }
            logger.LogInformation("Seeded the Development demo user {Email} in {TenantName}", demo.Email, demo.TenantName);
        }
    }
}
