using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EmailSettings.Core.Data;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the Portal.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<EmailSettingsDbContext>
{
    public EmailSettingsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<EmailSettingsDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
