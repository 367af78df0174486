namespace EmailSettings.Core.Data;

/// <summary>Where the database and the Data Protection key ring live.</summary>
public sealed class DatabaseOptions
{
    public const string ConnectionStringName = "EmailSettings";
    public const string DefaultConnectionString = "Data Source=data/emailsettings.db";

    /// <summary>The SQLite connection string, relative paths resolved against the app's content root.</summary>
    public string ConnectionString { get; set; } = DefaultConnectionString;

    /// <summary>Folder of the Data Protection key ring; defaults to a "keys" folder beside the database file.</summary>
    public string KeysPath { get; set; } = "";
}
