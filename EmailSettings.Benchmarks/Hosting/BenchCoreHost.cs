using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Benchmarks.Hosting;

/// <summary>
/// The Core wired as the Portal wires it (same DI extension) over a fresh SQLite file in a temp folder, with one
/// tenant, a fixed tenant-admin context and a SQL command counter on every DbContext the factory creates.
/// The host is built but not started, so the Quartz schedule never runs during a measurement.
/// </summary>
public sealed class BenchCoreHost : IAsyncDisposable
{
    public static readonly Guid TenantId = Guid.Parse("bbbbbbbb-0000-0000-0000-00000000be01");

    private BenchCoreHost(IHost host, string folder, SqlCommandCounter counter)
    {
        Host = host;
        Folder = folder;
        SqlCommands = counter;
    }

    public IHost Host { get; }
    public string Folder { get; }
    public SqlCommandCounter SqlCommands { get; }
    public IServiceProvider Services => Host.Services;

    public static async Task<BenchCoreHost> CreateAsync(Action<HostApplicationBuilder>? configure = null)
    {
        var folder = TempFolder.Create("emailsettings-bench");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = folder,
            EnvironmentName = "Production",
            DisableDefaults = true,
        });
        builder.Configuration[$"ConnectionStrings:{DatabaseOptions.ConnectionStringName}"] = $"Data Source={Path.Combine(folder, "bench.db")}";
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddEmailSettingsCore();
        var counter = new SqlCommandCounter();
        builder.Services.ConfigureDbContext<EmailSettingsDbContext>(o => o.AddInterceptors(counter));
        builder.Services.AddScoped<BenchTenantContext>();
        builder.Services.AddScoped<ITenantContext>(sp => sp.GetRequiredService<BenchTenantContext>());
        configure?.Invoke(builder);

        var host = new BenchCoreHost(builder.Build(), folder, counter);
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: false);
        await using var db = await host.CreateDbContextAsync();
        db.Tenants.Add(new Tenant { Id = TenantId, Name = "Benchmark tenant", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        return host;
    }

    /// <summary>A new DI scope acting as the admin of <paramref name="tenantId"/>.</summary>
    public AsyncServiceScope Scope(Guid tenantId)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<BenchTenantContext>().TenantId = tenantId;
        return scope;
    }

    /// <summary>A context that sees every tenant's rows, for seeding and resetting.</summary>
    public Task<EmailSettingsDbContext> CreateDbContextAsync() =>
        Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>().CreateForAllTenantsAsync();

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable asyncHost)
        {
            await asyncHost.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempFolder.Delete(Folder);
    }
}

/// <summary>The tenant admin a benchmark acts as (the host's tenant unless a scope says otherwise).</summary>
public sealed class BenchTenantContext : ITenantContext
{
    public Guid? TenantId { get; set; } = BenchCoreHost.TenantId;
    public bool IsTenantAdmin => true;
}
