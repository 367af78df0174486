using Npgsql;

namespace EmailSettings.Core.Data;

/// <summary>The database engine the Core stores its data in (<c>Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded SQLite file: the default, for one node.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server, for several nodes sharing one database.</summary>
    Postgres,
}

/// <summary>Which database, where it is, and where the Data Protection key ring lives.</summary>
public sealed class DatabaseOptions
{
    public const string ProviderKey = "Database:Provider";
    public const string ConnectionStringName = "EmailSettings";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;
    public const string KeysPathKey = "DataProtection:KeysPath";
    public const string DefaultConnectionString = "Data Source=data/emailsettings.db";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>The provider's connection string; relative SQLite paths are resolved against the app's content root.</summary>
    public string ConnectionString { get; set; } = DefaultConnectionString;

    /// <summary>Folder of the Data Protection key ring; defaults to a "keys" folder beside the SQLite file.</summary>
    public string KeysPath { get; set; } = "";

    /// <summary>The assembly that holds this provider's migrations (one migration set per provider).</summary>
    public string MigrationsAssembly => Provider switch
    {
        DatabaseProvider.Postgres => "EmailSettings.Migrations.Postgres",
        _ => "EmailSettings.Migrations.Sqlite",
    };

    /// <summary>Where the database is, for messages and logs: never the password.</summary>
    public string Describe()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            var csb = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"PostgreSQL database \"{csb.Database}\" on {csb.Host}:{csb.Port} as \"{csb.Username}\"";
        }
        return $"SQLite database {new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString).DataSource}";
    }
}

/// <summary>
/// The database settings are wrong or the database cannot be reached. The message names the setting to fix
/// (and never holds a password); the Portal prints it and exits instead of showing a stack trace.
/// </summary>
public sealed class DatabaseConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
