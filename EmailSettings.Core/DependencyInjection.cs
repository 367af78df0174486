using EmailSettings.Core.Alerts;
using EmailSettings.Core.Autodetect;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Health;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Sync;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace EmailSettings.Core;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the Core: database, secrets and the scoped services the Portal binds to.
    /// The host registers an <see cref="Tenancy.ITenantContext"/> for the caller (<c>builder.AddTenantContext&lt;T&gt;()</c>).
    /// </summary>
    /// <remarks>
    /// One scheme for every registration: <c>Add&lt;Feature&gt;(this IHostApplicationBuilder)</c>, returning the builder,
    /// so each feature can read its configuration and the calls chain the same way in the Portal and the test hosts.
    /// </remarks>
    public static IHostApplicationBuilder AddEmailSettingsCore(this IHostApplicationBuilder builder)
    {
        var database = ResolveDatabase(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Properties[typeof(DatabaseOptions)] = database;
        builder.Services.AddSingleton(database);
        builder.Services.AddDbContextFactory<EmailSettingsDbContext>(o => o.UseEmailSettingsDatabase(database));

        builder.AddKeyRing(database);
        builder.Services.AddSingleton<SecretProtector>();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddScoped<MailServerService>();
        builder.Services.AddScoped<EmailAccountService>();
        return builder
            .AddEmailSettingsCluster()
            .AddOAuthSignIn()
            .AddConnectionTests()
            .AddMailSettingsAutodetect()
            .AddEmailSending()
            .AddPortalIdentity()
            .AddAccountAlerts()
            .AddImapSync()
            .AddEmailSettingsHealthChecks();
    }

    /// <summary>The database <see cref="AddEmailSettingsCore"/> resolved (registration time).</summary>
    internal static DatabaseOptions GetDatabaseOptions(this IHostApplicationBuilder builder) =>
        builder.Properties.TryGetValue(typeof(DatabaseOptions), out var options)
            ? (DatabaseOptions)options
            : throw new InvalidOperationException("Call builder.AddEmailSettingsCore() first.");

    /// <summary>
    /// Reads <c>Database:Provider</c> and <c>ConnectionStrings:EmailSettings</c>. SQLite (the default): relative paths are
    /// made absolute against the content root and the data folder is created. Wrong settings throw a
    /// <see cref="DatabaseConfigurationException"/> that names the key to fix.
    /// </summary>
    internal static DatabaseOptions ResolveDatabase(IConfiguration configuration, string contentRoot)
    {
        var providerName = configuration[DatabaseOptions.ProviderKey];
        var provider = DatabaseProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(providerName)
            && (!Enum.TryParse(providerName.Trim(), ignoreCase: true, out provider) || !Enum.IsDefined(provider)))
        {
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ProviderKey} is \"{providerName}\", which is not a supported database. Use \"Sqlite\" (the default) or \"Postgres\".");
        }
        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        return provider == DatabaseProvider.Postgres
            ? ResolvePostgres(configuration, connectionString, contentRoot)
            : ResolveSqlite(configuration, connectionString ?? DatabaseOptions.DefaultConnectionString, contentRoot);
    }

    private static DatabaseOptions ResolveSqlite(IConfiguration configuration, string connectionString, string contentRoot)
    {
        SqliteConnectionStringBuilder csb;
        try
        {
            csb = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ConnectionStringKey} is not a valid SQLite connection string ({ex.Message}). Example: \"{DatabaseOptions.DefaultConnectionString}\".", ex);
        }
        if (string.IsNullOrWhiteSpace(csb.DataSource))
        {
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ConnectionStringKey} has no Data Source. Set it to a SQLite file, e.g. \"{DatabaseOptions.DefaultConnectionString}\".");
        }
        var inMemory = csb.Mode == SqliteOpenMode.Memory || csb.DataSource == ":memory:";
        if (!inMemory && !csb.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            csb.DataSource = Path.GetFullPath(csb.DataSource, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        var keysPath = ResolveKeysPath(configuration, contentRoot,
            inMemory ? Path.Combine(contentRoot, "data") : Path.GetDirectoryName(csb.DataSource)!);
        return new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = csb.ToString(), KeysPath = keysPath };
    }

    private static DatabaseOptions ResolvePostgres(IConfiguration configuration, string? connectionString, string contentRoot)
    {
        const string example = "\"Host=db.example.com;Database=emailsettings;Username=emailsettings;Password=...\"";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ProviderKey} is Postgres, but {DatabaseOptions.ConnectionStringKey} is not set. Set it to the PostgreSQL connection string, e.g. {example}.");
        }
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // Not the message itself: it may quote the value, and the value may hold the password.
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ConnectionStringKey} is not a valid PostgreSQL connection string. Example: {example}.", ex);
        }
        if (string.IsNullOrWhiteSpace(csb.Host) || string.IsNullOrWhiteSpace(csb.Database))
        {
            throw new DatabaseConfigurationException(
                $"{DatabaseOptions.ConnectionStringKey} must name the PostgreSQL Host and Database, e.g. {example}.");
        }
        // The key ring lives in the database; this folder is only read once, to import the keys of an install that
        // kept them in files, so it is not created.
        var keysPath = ResolveKeysPath(configuration, contentRoot, Path.Combine(contentRoot, "data"), create: false);
        return new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = csb.ConnectionString, KeysPath = keysPath };
    }

    private static string ResolveKeysPath(IConfiguration configuration, string contentRoot, string databaseFolder, bool create = true)
    {
        var keysPath = configuration[DatabaseOptions.KeysPathKey];
        keysPath = string.IsNullOrWhiteSpace(keysPath) ? Path.Combine(databaseFolder, "keys") : Path.GetFullPath(keysPath, contentRoot);
        if (create)
        {
            Directory.CreateDirectory(keysPath);
        }
        return keysPath;
    }
}
