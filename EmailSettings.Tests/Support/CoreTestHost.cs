using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Tests.Support;

/// <summary>
/// The Core as the Portal wires it (same DI extension), over a fresh SQLite file in its own temp folder,
/// with two tenants and a tenant context the test sets per scope. Logs are captured.
/// </summary>
public sealed class CoreTestHost : IAsyncDisposable
{
    private readonly List<AsyncServiceScope> scopes = [];

    private CoreTestHost(IHost host, string folder)
    {
        Host = host;
        Folder = folder;
    }

    public IHost Host { get; }
    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "test.db");
    public IServiceProvider Services => Host.Services;
    public CapturedLogs Logs => Services.GetRequiredService<CapturedLogs>();
    public Guid TenantA { get; } = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    public Guid TenantB { get; } = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");

    /// <param name="settings">Configuration seen while the Core registers itself (OAuth providers are read then).</param>
    public static async Task<CoreTestHost> CreateAsync(Action<HostApplicationBuilder>? configure = null, string? folder = null,
        IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        folder ??= TempFolder.Create("emailsettings-core");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = folder,
            EnvironmentName = "Testing",
            DisableDefaults = true,
        });
        builder.Configuration[$"ConnectionStrings:{DatabaseOptions.ConnectionStringName}"] = $"Data Source={Path.Combine(folder, "test.db")}";
        foreach (var (key, value) in settings ?? [])
        {
            builder.Configuration[key] = value;
        }
        var logs = new CapturedLogs();
        builder.Services.AddSingleton(logs);
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        builder.AddEmailSettingsCore();
        builder.AddTenantContext<TestTenantContext>();
        configure?.Invoke(builder);

        var host = new CoreTestHost(builder.Build(), folder);
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: false);
        await using var db = await host.CreateDbContextAsync();
        db.Tenants.AddRange(
            new Tenant { Id = host.TenantA, Name = "Tenant A", CreatedAt = DateTime.UtcNow },
            new Tenant { Id = host.TenantB, Name = "Tenant B", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        return host;
    }

    /// <summary>A service as a request of <paramref name="tenantId"/> sees it (admin unless said otherwise).</summary>
    public T Get<T>(Guid tenantId, bool isAdmin = true) where T : notnull => Scope(tenantId, isAdmin).GetRequiredService<T>();

    public T GetForA<T>() where T : notnull => Get<T>(TenantA);

    /// <summary>A new DI scope acting as the given caller; disposed with the host.</summary>
    public IServiceProvider Scope(Guid? tenantId, bool isAdmin = true)
    {
        var scope = Services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TestTenantContext>();
        context.TenantId = tenantId;
        context.IsTenantAdmin = isAdmin;
        scopes.Add(scope);
        return scope.ServiceProvider;
    }

    /// <summary>A context that sees every tenant's rows, for assertions on what is really stored.</summary>
    public Task<EmailSettingsDbContext> CreateDbContextAsync() =>
        Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>().CreateForAllTenantsAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var scope in scopes)
        {
            await scope.DisposeAsync();
        }
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

/// <summary>The caller a test pretends to be.</summary>
public sealed class TestTenantContext : ITenantContext
{
    public Guid? TenantId { get; set; }
    public bool IsTenantAdmin { get; set; }
    public string? UserId { get; set; }
}
