using EmailSettings.Core.Autodetect;
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
        builder.Services.AddSingleton(database);
        builder.Services.AddDbContextFactory<EmailSettingsDbContext>(o => o.UseSqlite(database.ConnectionString));

        builder.Services.AddDataProtection()
            .SetApplicationName(SecretProtector.ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(database.KeysPath));
        builder.Services.AddSingleton<SecretProtector>();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddScoped<MailServerService>();
        builder.Services.AddScoped<EmailAccountService>();
        return builder
            .AddOAuthSignIn()
            .AddConnectionTests()
            .AddMailSettingsAutodetect()
            .AddEmailSending()
            .AddPortalIdentity()
            .AddImapSync();
    }

    /// <summary>Makes relative SQLite paths absolute against the content root and creates the data folder.</summary>
    internal static DatabaseOptions ResolveDatabase(IConfiguration configuration, string contentRoot)
    {
        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName)
            ?? DatabaseOptions.DefaultConnectionString;
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(csb.DataSource))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{DatabaseOptions.ConnectionStringName} has no Data Source. Set it to a SQLite file, e.g. \"{DatabaseOptions.DefaultConnectionString}\".");
        }
        var inMemory = csb.Mode == SqliteOpenMode.Memory || csb.DataSource == ":memory:";
        if (!inMemory && !csb.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            csb.DataSource = Path.GetFullPath(csb.DataSource, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        var keysPath = configuration["DataProtection:KeysPath"];
        keysPath = string.IsNullOrWhiteSpace(keysPath)
            ? Path.Combine(inMemory ? Path.Combine(contentRoot, "data") : Path.GetDirectoryName(csb.DataSource)!, "keys")
            : Path.GetFullPath(keysPath, contentRoot);
        Directory.CreateDirectory(keysPath);
        return new DatabaseOptions { ConnectionString = csb.ToString(), KeysPath = keysPath };
    }
}
