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
    public async Task The_folder_migration_moves_each_accounts_INBOX_position_and_messages_into_an_INBOX_folder()
    {
        var root = TempFolder.Create("emailsettings-migration");
        try
        {
            var options = new DbContextOptionsBuilder<EmailSettingsDbContext>()
                .UseSqlite($"Data Source={Path.Combine(root, "old.db")};Pooling=False").Options;
            await using (var db = new EmailSettingsDbContext(options))
            {
                // A database as the release before folders left it: positions on the accounts.
                await db.GetService<IMigrator>().MigrateAsync("20261125190200_Initial");
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO "Tenants" ("Id", "Name", "CreatedAt") VALUES ('AAAAAAAA-0000-0000-0000-000000000001', 'A', '2026-11-01 08:00:00');
                    INSERT INTO "MailServers" ("Id", "TenantId", "Name", "SmtpHost", "SmtpPort", "UseTls", "IsDefault", "CreatedAt", "UpdatedAt")
                        VALUES (1, 'AAAAAAAA-0000-0000-0000-000000000001', 'Out', 'smtp.example.com', 587, 1, 1, '2026-11-01 08:00:00', '2026-11-01 08:00:00');
                    INSERT INTO "EmailAccounts" ("Id", "TenantId", "EmailAddress", "NormalizedEmailAddress", "DisplayName", "MailServerId", "IsDefault",
                        "ImapHost", "ImapPort", "ImapUsername", "ImapUseTls", "CreatedAt", "UpdatedAt", "ConsecutiveSyncFailures",
                        "UidValidity", "LastSyncedUid", "HighestModSeq")
                        VALUES (7, 'AAAAAAAA-0000-0000-0000-000000000001', 'a@example.com', 'A@EXAMPLE.COM', 'Support', 1, 1,
                        'imap.example.com', 993, 'a', 1, '2026-11-01 08:00:00', '2026-11-02 08:00:00', 2, 1700000000, 42, 99),
                        (8, 'AAAAAAAA-0000-0000-0000-000000000001', 'b@example.com', 'B@EXAMPLE.COM', 'Never synced', NULL, 0,
                        NULL, 993, NULL, 1, '2026-11-01 08:00:00', '2026-11-01 08:00:00', 0, NULL, 0, NULL);
                    INSERT INTO "SyncedMessages" ("TenantId", "EmailAccountId", "UidValidity", "Uid", "From", "To", "Subject", "Size", "IsSeen", "Preview", "SyncedAt")
                        VALUES ('AAAAAAAA-0000-0000-0000-000000000001', 7, 1700000000, 41, 'x', 'y', 'Hello', 10, 1, '', '2026-11-02 08:00:00'),
                        ('AAAAAAAA-0000-0000-0000-000000000001', 7, 1700000000, 42, 'x', 'y', 'World', 10, 0, '', '2026-11-02 08:00:00');
                    INSERT INTO "EmailLog" ("TenantId", "EmailAccountId", "FromAddress", "AttemptedAt", "Recipients", "Subject", "Status")
                        VALUES ('AAAAAAAA-0000-0000-0000-000000000001', 7, 'a@example.com', '2026-11-02 09:00:00', 'c@example.com', 'Hi', 'Sent');
                    """);

                await db.Database.MigrateAsync();
            }

            await using var after = new EmailSettingsDbContext(options);
            after.ScopeToAllTenants();
            var folders = await after.SyncFolders.OrderBy(f => f.EmailAccountId).ToListAsync();
            folders.Select(f => (f.EmailAccountId, f.Name, f.UidValidity, f.LastSyncedUid, f.HighestModSeq)).Should().Equal(
                (7, "INBOX", (long?)1700000000, 42L, (long?)99),
                (8, "INBOX", (long?)null, 0L, (long?)null));
            var messages = await after.SyncedMessages.OrderBy(m => m.Uid).ToListAsync();
            messages.Select(m => (m.Subject, m.SyncFolderId, m.IsSeen, m.IsFlagged, m.IsAnswered)).Should().Equal(
                ("Hello", folders[0].Id, true, false, false), ("World", folders[0].Id, false, false, false));
            (await after.EmailAccounts.Select(a => new { a.Id, a.DisplayName, a.ConsecutiveSyncFailures, a.IsDefault }).OrderBy(a => a.Id).ToListAsync())
                .Should().BeEquivalentTo([new { Id = 7, DisplayName = "Support", ConsecutiveSyncFailures = 2, IsDefault = true },
                    new { Id = 8, DisplayName = "Never synced", ConsecutiveSyncFailures = 0, IsDefault = false }]);
            (await after.EmailLog.Select(e => e.EmailAccountId).SingleAsync()).Should().Be(7, "rebuilding the accounts table keeps the log's link");
            (await after.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM pragma_foreign_key_check").SingleAsync()).Should().Be(0);
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
