using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EmailSettings.Migrations.Sqlite;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project EmailSettings.Migrations.Sqlite</c> build the model for SQLite
/// without starting the Portal (the database is never opened for that).
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<EmailSettingsDbContext>
{
    public EmailSettingsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<EmailSettingsDbContext>()
            .UseEmailSettingsDatabase(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=design-time.db" })
            .Options);
}
