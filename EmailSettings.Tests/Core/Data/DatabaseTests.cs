using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace EmailSettings.Tests.Core.Data;

public sealed class DatabaseTests
{
    [Fact]
    public async Task Migrations_build_an_empty_database_with_every_table()
    {
        await using var host = await CoreTestHost.CreateAsync();
        await using var db = await host.CreateDbContextAsync();

        (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
        (await db.Database.GetAppliedMigrationsAsync()).Should().NotBeEmpty();
        (await db.MailServers.CountAsync()).Should().Be(0);
        (await db.EmailAccounts.CountAsync()).Should().Be(0);
        (await db.SyncedMessages.CountAsync()).Should().Be(0);
        (await db.EmailLog.CountAsync()).Should().Be(0);
        (await db.Users.CountAsync()).Should().Be(0);
        (await db.Tenants.CountAsync()).Should().Be(2, "the test host seeds two tenants");
    }

    [Fact]
    public void A_relative_database_path_is_resolved_against_the_content_root_and_its_folder_created()
    {
        var root = TempFolder.Create("emailsettings-paths");
        try
        {
            var configuration = new ConfigurationBuilder().Build();

            var options = DependencyInjection.ResolveDatabase(configuration, root);

            options.ConnectionString.Should().Contain(Path.Combine(root, "data", "emailsettings.db"));
            Directory.Exists(Path.Combine(root, "data")).Should().BeTrue();
            options.KeysPath.Should().Be(Path.Combine(root, "data", "keys"));
            Directory.Exists(options.KeysPath).Should().BeTrue();
        }
        finally
        {
            TempFolder.Delete(root);
        }
    }

    [Fact]
    public void Configured_database_and_key_paths_are_honoured()
    {
        var root = TempFolder.Create("emailsettings-paths");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:EmailSettings"] = "Data Source=elsewhere/app.db",
                ["DataProtection:KeysPath"] = "secrets/ring",
            }).Build();

            var options = DependencyInjection.ResolveDatabase(configuration, root);

            options.ConnectionString.Should().Contain(Path.Combine(root, "elsewhere", "app.db"));
            options.KeysPath.Should().Be(Path.Combine(root, "secrets", "ring"));
        }
        finally
        {
            TempFolder.Delete(root);
        }
    }

    [Fact]
    public async Task Initializing_twice_is_harmless()
    {
        await using var host = await CoreTestHost.CreateAsync();

        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: true);
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: true);

        await using var db = await host.CreateDbContextAsync();
        (await db.Tenants.CountAsync()).Should().Be(3);
    }
}
