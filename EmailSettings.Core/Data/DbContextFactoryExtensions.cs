using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Data;

/// <summary>
/// The two ways to get a context that sees tenant-owned rows. A context from <c>CreateDbContextAsync</c> itself
/// (or injected) sees none: the tenant query filter fails closed. Internal: the Portal reaches data only through the
/// Core services, which take the tenant from <see cref="Tenancy.ITenantContext"/>.
/// </summary>
internal static class DbContextFactoryExtensions
{
    /// <summary>A context whose queries see only <paramref name="tenantId"/>'s rows.</summary>
    internal static async Task<EmailSettingsDbContext> CreateForTenantAsync(
        this IDbContextFactory<EmailSettingsDbContext> factory, Guid tenantId, CancellationToken ct = default)
    {
        var db = await factory.CreateDbContextAsync(ct);
        db.ScopeToTenant(tenantId);
        return db;
    }

    /// <summary>
    /// A context whose queries see every tenant's rows: only for Core work that acts for all tenants by design (the
    /// sync scheduler's start-up pass, and tests that check what is really stored).
    /// </summary>
    internal static async Task<EmailSettingsDbContext> CreateForAllTenantsAsync(
        this IDbContextFactory<EmailSettingsDbContext> factory, CancellationToken ct = default)
    {
        var db = await factory.CreateDbContextAsync(ct);
        db.ScopeToAllTenants();
        return db;
    }
}
