using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
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
    public async Task The_model_matches_the_migrations_so_no_change_waits_for_a_new_migration()
    {
        await using var host = await CoreTestHost.CreateAsync();
        await using var db = await host.CreateDbContextAsync();

        db.Database.HasPendingModelChanges().Should().BeFalse();

        // SQLite stores every string as TEXT, so the check above ignores lengths; compare them with the snapshot
        // the migrations were made from, so a changed FieldRules constant cannot slip past the other providers' migrations.
        var snapshot = db.GetService<IMigrationsAssembly>().ModelSnapshot!.Model;
        var model = db.GetService<IDesignTimeModel>().Model;
        static IEnumerable<string> Lengths(IReadOnlyModel m) => m.GetEntityTypes()
            .SelectMany(t => t.GetProperties().Select(p => $"{t.Name}.{p.Name}: {p.GetMaxLength()?.ToString() ?? "-"}"))
            .Order();
        Lengths(model).Should().Equal(Lengths(snapshot));
        Lengths(model).Should().Contain("EmailSettings.Core.MailServers.MailServer.PinnedCertificateSha256: 64");
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
