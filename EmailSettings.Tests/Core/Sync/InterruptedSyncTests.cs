using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>Syncs cut off mid-way; each test has its own Dovecot because it stops it.</summary>
[Trait("Category", "Integration")]
public class InterruptedSyncTests
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task A_sync_interrupted_by_the_server_stopping_resumes_without_loss_or_duplicates()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 45);
        // Stop the server right after the first batch is committed. The engine fetches the next batch while it commits
        // one, so that prefetched batch may still be stored; the fetch after it hits a dead connection.
        using var stopper = bed.Notifier.Subscribe(bed.Host.TenantA, async e =>
        {
            if (e.Kind == SyncEventKind.Progress && e.Done == 10)
            {
                await bed.Dovecot.StopAsync();
            }
        });

        var interrupted = await bed.SyncAsync(id);

        interrupted.Status.Should().Be(SyncOutcomeStatus.Failed);
        interrupted.ErrorKind.Should().BeOneOf(SyncErrorKind.ConnectionLost, SyncErrorKind.HostUnreachable);
        var partial = await bed.MessagesAsync(id);
        partial.Count.Should().BeOneOf([10, 20], "whole batches only: the first, and perhaps the prefetched second");
        partial.Select(m => m.Subject).Should().Equal(Enumerable.Range(1, partial.Count).Select(n => $"Test message {n}"));
        var account = (await bed.AccountAsync(id))!;
        account.LastSyncedUid.Should().Be(partial[^1].Uid, "the position advanced with the committed batch");
        account.ConsecutiveSyncFailures.Should().Be(1);

        stopper.Dispose();
        await bed.Dovecot.RestartAsync();
        var resumed = await bed.SyncAsync(id);

        resumed.Should().Be(SyncOutcome.Success(45 - partial.Count));
        var all = await bed.MessagesAsync(id);
        all.Should().HaveCount(45);
        all.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        all.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
        (await bed.AccountAsync(id))!.FailingSince.Should().BeNull();
    }

    [Fact]
    public async Task An_interrupted_UIDVALIDITY_change_never_shows_a_message_twice_and_finishes_on_the_next_run()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 30);
        await bed.SyncAsync(id);
        bed.Dovecot.ResetUidValidity(user);
        using var stopper = bed.Notifier.Subscribe(bed.Host.TenantA, async e =>
        {
            if (e.Kind == SyncEventKind.Progress && e.Done == 10)
            {
                await bed.Dovecot.StopAsync();
            }
        });

        (await bed.SyncAsync(id)).Status.Should().Be(SyncOutcomeStatus.Failed);

        var midway = await bed.MessagesAsync(id);
        midway.Should().HaveCount(30, "10 replaced by their new-generation copies, 20 old ones kept until replaced");
        midway.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
        midway.Select(m => m.UidValidity).Distinct().Should().HaveCount(2);

        stopper.Dispose();
        await bed.Dovecot.RestartAsync();
        (await bed.SyncAsync(id)).Succeeded.Should().BeTrue();

        var done = await bed.MessagesAsync(id);
        var validity = (await bed.AccountAsync(id))!.UidValidity;
        done.Should().HaveCount(30).And.OnlyContain(m => m.UidValidity == validity);
        done.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Deleting_an_account_while_it_syncs_cancels_the_sync_and_removes_its_messages()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 40);
        using var events = bed.Record();
        Task<EmailSettings.Core.Common.Result<EmailAccountSummary>>? deletion = null;
        using var deleter = bed.Notifier.Subscribe(bed.Host.TenantA, async e =>
        {
            if (e.Kind == SyncEventKind.Progress && e.Done == 10)
            {
                var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
                deletion = Task.Run(() => accounts.DeleteAsync(id));
                await Eventually.HoldsAsync(() => bed.Coordinator.IsCancellationRequested(id), "the delete cancels the sync");
            }
        });

        var outcome = await bed.SyncAsync(id);
        var deleted = await deletion!;

        outcome.ErrorKind.Should().Be(SyncErrorKind.Cancelled);
        deleted.Succeeded.Should().BeTrue();
        events.For(id).Select(e => e.Kind).Should().EndWith(SyncEventKind.Failed);
        events.For(id)[^1].ErrorKind.Should().Be(SyncErrorKind.Cancelled);
        await using var db = await bed.Host.CreateDbContextAsync();
        (await db.SyncedMessages.CountAsync(m => m.EmailAccountId == id)).Should().Be(0);
        (await db.EmailAccounts.AnyAsync(a => a.Id == id)).Should().BeFalse();
        bed.Notifier.IsSyncing(bed.Host.TenantA, id).Should().BeFalse();
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class InterruptedSyncTestsOnPostgres : InterruptedSyncTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
