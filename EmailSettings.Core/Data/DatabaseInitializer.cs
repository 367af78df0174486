using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Data;

public static class DatabaseInitializer
{
    /// <summary>
    /// Applies pending migrations of the configured provider and makes sure the demo tenant exists. Safe to run on every
    /// start, on every node (EF Core takes a migration lock). A database that cannot be reached or opened throws a
    /// <see cref="DatabaseConfigurationException"/> naming the connection string's key.
    /// </summary>
    public static async Task InitializeEmailSettingsDatabaseAsync(this IServiceProvider services, bool seedDemoTenant, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseInitializer));
        await using var db = await factory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.MigrateAsync(ct);
        }
        catch (Exception ex) when (DatabaseProviders.IsConnectionFailure(ex))
        {
            var database = services.GetRequiredService<DatabaseOptions>();
            throw new DatabaseConfigurationException(
                $"Could not open the {database.Describe()} to apply its migrations: {ex.Message.TrimEnd('.')}. " +
                $"Check {DatabaseOptions.ConnectionStringKey} (and {DatabaseOptions.ProviderKey}).", ex);
        }
        if (db.Database.IsSqlite())
        {
            // WAL lets the page read while a sync writes; the setting is stored in the database file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }

        if (seedDemoTenant && !await db.Tenants.AnyAsync(t => t.Id == DemoTenant.Id, ct))
        {
            db.Tenants.Add(new Tenant { Id = DemoTenant.Id, Name = DemoTenant.Name, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Seeded the demo tenant {TenantId}", DemoTenant.Id);
        }
    }
}
