using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EmailSettings.Migrations.Postgres;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project EmailSettings.Migrations.Postgres</c> build the model for PostgreSQL
/// without starting the Portal or reaching a server (adding a migration never connects).
/// </summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<EmailSettingsDbContext>
{
    public EmailSettingsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<EmailSettingsDbContext>()
            .UseEmailSettingsDatabase(new DatabaseOptions
            {
                Provider = DatabaseProvider.Postgres,
                ConnectionString = "Host=localhost;Database=emailsettings_design_time;Username=postgres",
            })
            .Options);
}
