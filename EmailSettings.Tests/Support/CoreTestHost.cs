using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Tests.Support;

/// <summary>
/// The Core as the Portal wires it (same DI extension), over a fresh database: a SQLite file in its own temp folder
/// (the default) or a new database on the test run's <see cref="PostgresServer"/>; with two tenants and a tenant
/// context the test sets per scope. Logs are captured. The host is built, not started (no Quartz schedule runs).
/// </summary>
/// <remarks>
/// The one Core host of the tests and the benchmarks (which compile this file too), so it has no test-framework code.
/// </remarks>
public sealed class CoreTestHost : IAsyncDisposable
{
    private readonly List<AsyncServiceScope> scopes = [];
    private readonly PostgresServer? postgres;
    private readonly string? postgresDatabase;
    private readonly bool ownsDatabase;

    private CoreTestHost(IHost host, string folder, DatabaseProvider provider, PostgresServer? postgres, string? postgresDatabase, bool ownsDatabase)
    {
        Host = host;
        Folder = folder;
        Provider = provider;
        this.postgres = postgres;
        this.postgresDatabase = postgresDatabase;
        this.ownsDatabase = ownsDatabase;
    }

    /// <summary>The PostgreSQL database's name (PostgreSQL only).</summary>
    public string? PostgresDatabase => postgresDatabase;

    public IHost Host { get; }
    public string Folder { get; }
    public DatabaseProvider Provider { get; }

    /// <summary>The SQLite file (SQLite only).</summary>
    public string DatabasePath => Path.Combine(Folder, "test.db");

    /// <summary>The connection string the Core was given.</summary>
    public string ConnectionString => Services.GetRequiredService<DatabaseOptions>().ConnectionString;
    public IServiceProvider Services => Host.Services;
    public CapturedLogs Logs => Services.GetRequiredService<CapturedLogs>();
    public Guid TenantA { get; } = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    public Guid TenantB { get; } = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");

    /// <summary>A host on <paramref name="provider"/>; see <see cref="CreateAsync(Action{HostApplicationBuilder}, string, DatabaseProvider, bool, IEnumerable{KeyValuePair{string, string}})"/>.</summary>
    public static Task<CoreTestHost> CreateAsync(DatabaseProvider provider, Action<HostApplicationBuilder>? configure = null,
        IEnumerable<KeyValuePair<string, string?>>? settings = null) =>
        CreateAsync(configure, folder: null, provider, settings: settings);

    /// <summary>
    /// A host on <paramref name="provider"/> with <paramref name="settings"/> in its configuration before the Core is
    /// registered: for the settings the Core reads at registration (Cluster:*, Sync:Concurrency, the key ring certificate).
    /// </summary>
    public static Task<CoreTestHost> CreateAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string?> settings,
        Action<HostApplicationBuilder>? configure = null) =>
        CreateAsync(configure, folder: null, provider, captureLogs: true, joining: null, settings);

    /// <param name="configure">Runs after the Core is registered: extra configuration or services.</param>
    /// <param name="folder">Content root (and SQLite folder); a new temp folder when null.</param>
    /// <param name="provider">SQLite file or a new database on the shared test PostgreSQL.</param>
    /// <param name="captureLogs">False: no logger at all (benchmarks), instead of every entry kept in <see cref="Logs"/>.</param>
    /// <param name="settings">Configuration seen while the Core registers itself (OAuth providers, Cluster:* are read then).</param>
    public static Task<CoreTestHost> CreateAsync(Action<HostApplicationBuilder>? configure = null, string? folder = null,
        DatabaseProvider provider = DatabaseProvider.Sqlite, bool captureLogs = true, IEnumerable<KeyValuePair<string, string?>>? settings = null) =>
        CreateAsync(configure, folder, provider, captureLogs, joining: null, settings);

    /// <summary>
    /// Another node on <paramref name="first"/>'s PostgreSQL database: its own process-wide services (leases, listener,
    /// Quartz, key ring cache) and content folder, the same data. The database stays until <paramref name="first"/> is disposed.
    /// </summary>
    public static Task<CoreTestHost> JoinAsync(CoreTestHost first, IReadOnlyDictionary<string, string?>? settings = null,
        Action<HostApplicationBuilder>? configure = null) =>
        first.Provider == DatabaseProvider.Postgres
            ? CreateAsync(configure, folder: null, DatabaseProvider.Postgres, captureLogs: true, joining: first, settings)
            : throw new InvalidOperationException("Only a PostgreSQL host can be joined by another node.");

    private static async Task<CoreTestHost> CreateAsync(Action<HostApplicationBuilder>? configure, string? folder,
        DatabaseProvider provider, bool captureLogs, CoreTestHost? joining, IEnumerable<KeyValuePair<string, string?>>? settings)
    {
        folder ??= TempFolder.Create("emailsettings-core");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = folder,
            EnvironmentName = "Testing",
            DisableDefaults = true,
        });
        PostgresServer? postgres = null;
        string? postgresDatabase = null;
        if (provider == DatabaseProvider.Postgres)
        {
            postgres = await PostgresServer.SharedAsync();
            postgresDatabase = joining?.postgresDatabase ?? await postgres.CreateDatabaseAsync("core");
            builder.Configuration[DatabaseOptions.ProviderKey] = nameof(DatabaseProvider.Postgres);
            builder.Configuration[DatabaseOptions.ConnectionStringKey] = postgres.ConnectionString(postgresDatabase);
        }
        else
        {
            builder.Configuration[DatabaseOptions.ConnectionStringKey] = $"Data Source={Path.Combine(folder, "test.db")}";
        }
        // Beside the database file on SQLite; the same place on PostgreSQL, so tests can find it on both.
        builder.Configuration[DatabaseOptions.KeysPathKey] = Path.Combine(folder, "keys");
        foreach (var (key, value) in settings ?? [])
        {
            builder.Configuration[key] = value;
        }
        var logs = new CapturedLogs();
        builder.Services.AddSingleton(logs);
        if (captureLogs)
        {
            builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }
        builder.AddEmailSettingsCore();
        builder.AddTenantContext<TestTenantContext>();
        configure?.Invoke(builder);

        var host = new CoreTestHost(builder.Build(), folder, provider, postgres, postgresDatabase, ownsDatabase: joining is null);
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: false);
        if (joining is not null)
        {
            return host;
        }
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
        var scope = CreateScope(tenantId, isAdmin);
        scopes.Add(scope);
        return scope.ServiceProvider;
    }

    /// <summary>A new DI scope acting as the given caller, for the caller to dispose (for loops that make many).</summary>
    public AsyncServiceScope CreateScope(Guid? tenantId, bool isAdmin = true)
    {
        var scope = Services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TestTenantContext>();
        context.TenantId = tenantId;
        context.IsTenantAdmin = isAdmin;
        return scope;
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
        if (postgres is not null && ownsDatabase)
        {
            await postgres.DropDatabaseAsync(postgresDatabase!);
        }
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
