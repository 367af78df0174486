using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>
/// Upgrading a database from the release before folders (each account's INBOX position on the account row): the
/// SyncFolders migration gives every account an INBOX folder with that position and moves its messages into it, so a
/// synced account goes on where it stopped instead of downloading its mailbox again.
/// </summary>
[Trait("Category", "Integration")]
public class SyncFoldersUpgradeTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task An_account_synced_before_folders_keeps_its_INBOX_position_and_messages_and_downloads_nothing_again()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 4);
        var (synced, user) = await bed.AddAccountAsync();
        var (neverSynced, _) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 6);
        (await bed.SyncAsync(synced)).Should().Be(SyncOutcome.Success(6));
        var position = await bed.FolderAsync(synced);
        var messages = await bed.MessagesAsync(synced);
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            db.EmailLog.Add(new EmailLogEntry
            {
                TenantId = bed.Host.TenantA, EmailAccountId = synced, FromAddress = $"{user}@example.com", AttemptedAt = DateTime.UtcNow,
                Recipients = "someone@example.com", Subject = "Hi", Status = EmailLogStatus.Sent,
            });
            await db.SaveChangesAsync();
        }

        // Back to the schema of the release before folders (the migration's Down).
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            var migrations = db.Database.GetMigrations().ToList();
            var previous = migrations[migrations.FindIndex(m => m.EndsWith("_SyncFolders", StringComparison.Ordinal)) - 1];
            await db.GetService<IMigrator>().MigrateAsync(previous);
            (await db.Database.GetAppliedMigrationsAsync()).Should().EndWith(previous);
            // Going down put INBOX's position back on the account row, where that release keeps it.
            var onAccount = await db.Database.SqlQuery<OldPosition>($"""
                SELECT "UidValidity", "LastSyncedUid", "HighestModSeq" FROM "EmailAccounts" WHERE "Id" = {synced}
                """).SingleAsync();
            onAccount.Should().Be(new OldPosition(position.UidValidity, position.LastSyncedUid, position.HighestModSeq));
            (await db.Database.SqlQuery<int>($"""SELECT COUNT(*) AS "Value" FROM "SyncedMessages" WHERE "EmailAccountId" = {synced}""").SingleAsync())
                .Should().Be(6, "the messages stay when the folder table goes");
        }

        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
        }

        var inbox = await bed.FolderAsync(synced);
        (inbox.Name, inbox.UidValidity, inbox.LastSyncedUid, inbox.HighestModSeq).Should()
            .Be((SyncFolder.Inbox, position.UidValidity, position.LastSyncedUid, position.HighestModSeq));
        var fresh = await bed.FolderAsync(neverSynced);
        (fresh.UidValidity, fresh.LastSyncedUid, fresh.HighestModSeq).Should().Be(((long?)null, 0L, (long?)null));
        var moved = await bed.MessagesAsync(synced);
        moved.Should().OnlyContain(m => m.SyncFolderId == inbox.Id);
        moved.Should().BeEquivalentTo(messages, o => o.Excluding(m => m.SyncFolderId), "the rows are the same, only in the INBOX folder");
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            (await db.EmailLog.Select(e => e.EmailAccountId).SingleAsync()).Should().Be(synced, "rebuilding the accounts table keeps the log's link");
            if (Provider == DatabaseProvider.Sqlite)
            {
                (await db.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM pragma_foreign_key_check").SingleAsync()).Should().Be(0);
            }
        }

        // The sync goes on where it stopped: nothing is downloaded again, only what is new.
        (await bed.SyncAsync(synced)).Should().Be(SyncOutcome.Success(0));
        bed.Host.Logs.AllText.Should().Contain("INBOX unchanged");
        await bed.AppendAsync(user, 7, 2);
        (await bed.SyncAsync(synced)).Should().Be(SyncOutcome.Success(2));
        (await bed.MessagesAsync(synced)).Should().HaveCount(8).And.OnlyContain(m => m.SyncFolderId == inbox.Id);
    }

    private sealed record OldPosition(long? UidValidity, long LastSyncedUid, long? HighestModSeq);
}

/// <summary>The same upgrade on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SyncFoldersUpgradeTestsOnPostgres(SharedDovecot dovecot) : SyncFoldersUpgradeTests(dovecot)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
