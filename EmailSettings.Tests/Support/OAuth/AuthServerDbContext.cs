using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EmailSettings.Tests.Support.OAuth;

/// <summary>The test authorization server's own database: OpenIddict's applications, authorizations and tokens.</summary>
public sealed class AuthServerDbContext(DbContextOptions<AuthServerDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.UseOpenIddict();
    }
}

/// <summary>For <c>dotnet ef migrations add --context AuthServerDbContext</c> (its migrations live in Support/OAuth/Migrations).</summary>
internal sealed class AuthServerDbContextFactory : IDesignTimeDbContextFactory<AuthServerDbContext>
{
    public AuthServerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AuthServerDbContext>().UseSqlite("Data Source=auth-design-time.db").Options);
}
