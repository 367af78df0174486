using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Data;

public static class DbContextFactoryExtensions
{
    /// <summary>A context whose queries see only <paramref name="tenantId"/>'s rows.</summary>
    public static async Task<EmailSettingsDbContext> CreateForTenantAsync(
        this IDbContextFactory<EmailSettingsDbContext> factory, Guid tenantId, CancellationToken ct = default)
    {
        var db = await factory.CreateDbContextAsync(ct);
        db.CurrentTenantId = tenantId;
        return db;
    }
}
