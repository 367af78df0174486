using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.Sync;

[Trait("Category", "Integration")]
public class ImapSyncServiceTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task Initial_sync_stores_every_message_of_the_inbox_with_its_details()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 25);

        var outcome = await bed.SyncAsync(id);

        outcome.Should().Be(SyncOutcome.Success(25));
        var messages = await bed.MessagesAsync(id);
        messages.Should().HaveCount(25);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        var first = messages[0];
        first.Subject.Should().Be("Test message 1");
        first.From.Should().Contain("sender@example.com");
        first.To.Should().Contain("user@example.com");
        first.MessageId.Should().Be("test-message-1@example.com");
        first.Date.Should().Be(new DateTime(2024, 1, 1, 8, 1, 0, DateTimeKind.Utc));
        first.Size.Should().BeGreaterThan(100);
        first.IsSeen.Should().BeFalse();
        first.Preview.Should().Contain("this is test message number 1.");
        first.TenantId.Should().Be(bed.Host.TenantA);
        var account = (await bed.AccountAsync(id))!;
        var inbox = await bed.FolderAsync(id);
        inbox.UidValidity.Should().Be(first.UidValidity);
        inbox.LastSyncedUid.Should().Be(messages[^1].Uid);
        inbox.HighestModSeq.Should().BeGreaterThan(0, "Dovecot offers CONDSTORE");
        messages.Should().OnlyContain(m => m.SyncFolderId == inbox.Id);
        account.LastSyncSucceededAt.Should().NotBeNull();
        account.LastSyncError.Should().BeNull();
    }

    [Fact]
    public async Task Messages_fetched_again_below_a_position_set_back_are_skipped_and_only_the_new_ones_counted()
    {
        // A position behind the stored rows (as a restore of an older folder row would leave it) makes the next run
        // fetch UIDs it stored already. Each batch's insert skips those and stores the rest; on PostgreSQL the plain
        // insert meets the unique key first and the batch is sent again with ON CONFLICT DO NOTHING.
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 25);
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(25));
        var inbox = await bed.FolderAsync(id);
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            await db.SyncFolders.Where(f => f.Id == inbox.Id).ExecuteUpdateAsync(s => s.SetProperty(f => f.LastSyncedUid, 12L));
        }
        await bed.AppendAsync(user, 26, 3);

        var outcome = await bed.SyncAsync(id);

        outcome.Should().Be(SyncOutcome.Success(3), "13 to 25 were stored already; only 26 to 28 are new");
        var messages = await bed.MessagesAsync(id);
        messages.Should().HaveCount(28);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        messages.Select(m => m.Subject).Should().Equal(Enumerable.Range(1, 28).Select(n => $"Test message {n}"));
        (await bed.FolderAsync(id)).LastSyncedUid.Should().Be(messages[^1].Uid);
    }

    [Fact]
    public async Task A_second_run_adds_only_the_new_messages_and_a_third_changes_nothing()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 10);
        (await bed.SyncAsync(id)).NewMessages.Should().Be(10);
        var afterFirst = await bed.MessagesAsync(id);

        await bed.AppendAsync(user, 11, 4);
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(4));
        var afterSecond = await bed.MessagesAsync(id);
        afterSecond.Should().HaveCount(14);
        afterSecond.Take(10).Should().BeEquivalentTo(afterFirst, "stored messages are not touched again");
        afterSecond.Skip(10).Select(m => m.Subject).Should().Equal("Test message 11", "Test message 12", "Test message 13", "Test message 14");
        var accountBefore = await bed.AccountAsync(id);

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0));

        (await bed.MessagesAsync(id)).Should().BeEquivalentTo(afterSecond);
        var accountAfter = (await bed.AccountAsync(id))!;
        accountAfter.Should().BeEquivalentTo(accountBefore!, o => o
            .Excluding(a => a.LastSyncStartedAt).Excluding(a => a.LastSyncSucceededAt).Excluding(a => a.LastSyncNewMessages)
            .Excluding(a => a.MailServer));
        accountBefore!.LastSyncNewMessages.Should().Be(4, "the record of a run says what it added");
        accountAfter.LastSyncNewMessages.Should().Be(0);
        bed.Host.Logs.AllText.Should().Contain("INBOX unchanged", "an unchanged INBOX is recognised from UIDNEXT and HIGHESTMODSEQ alone");
    }

    [Fact]
    public async Task Synced_messages_stay_unread_on_the_server_and_seen_flags_changed_elsewhere_are_picked_up()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 5);

        await bed.SyncAsync(id);

        using var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.Server.CertificateSha256) };
        await client.ConnectAsync(dovecot.Server.Host, dovecot.Server.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, SyncTestBed.Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var flags = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags | MessageSummaryItems.UniqueId);
        flags.Should().HaveCount(5).And.OnlyContain(s => !s.Flags!.Value.HasFlag(MessageFlags.Seen));

        // Another mail client reads message 2: the next sync learns it through CHANGEDSINCE.
        await client.Inbox.AddFlagsAsync(flags[1].UniqueId, MessageFlags.Seen, silent: true);
        await client.DisconnectAsync(true);
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0) with { Updated = 1 });

        var messages = await bed.MessagesAsync(id);
        messages.Where(m => m.IsSeen).Select(m => m.Uid).Should().Equal((long)flags[1].UniqueId.Id);
    }

    [Fact]
    public async Task The_notifier_reports_started_progress_per_batch_and_completed_to_the_tenant_only()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 10);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 25);
        using var tenantA = bed.Record(bed.Host.TenantA);
        using var tenantB = bed.Record(bed.Host.TenantB);
        var runningSeenMidSync = new List<bool>();
        using var probe = bed.Notifier.Subscribe(bed.Host.TenantA, e =>
        {
            runningSeenMidSync.Add(bed.Notifier.IsSyncing(bed.Host.TenantA, id) && !bed.Notifier.IsSyncing(bed.Host.TenantB, id));
            return Task.CompletedTask;
        });

        await bed.SyncAsync(id);

        tenantA.For(id).Select(e => (e.Kind, e.Done, e.Total, e.NewMessages)).Should().Equal(
            (SyncEventKind.Started, 0, 0, 0),
            (SyncEventKind.Progress, 0, 25, 0),
            (SyncEventKind.Progress, 10, 25, 0),
            (SyncEventKind.Progress, 20, 25, 0),
            (SyncEventKind.Progress, 25, 25, 0),
            (SyncEventKind.Completed, 0, 0, 25));
        tenantA.For(id).Should().OnlyContain(e => e.TenantId == bed.Host.TenantA);
        tenantB.Events.Should().BeEmpty();
        runningSeenMidSync.Should().Equal(true, true, true, true, true, false);
        bed.Notifier.GetRunning(bed.Host.TenantA).Should().BeEmpty();
    }

    [Fact]
    public async Task A_throwing_subscriber_is_logged_and_the_others_still_hear_every_event()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 3);
        using var broken = bed.Notifier.Subscribe(bed.Host.TenantA, _ => throw new ObjectDisposedException("circuit"));
        using var healthy = bed.Record();

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(3));

        healthy.For(id).Select(e => e.Kind).Should().StartWith(SyncEventKind.Started).And.EndWith(SyncEventKind.Completed);
        bed.Host.Logs.AllText.Should().Contain("A sync progress subscriber of tenant");
    }

    [Fact]
    public async Task A_changed_UIDVALIDITY_replaces_the_old_messages_without_loss_or_duplicates()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 12);
        await bed.SyncAsync(id);
        var oldValidity = (await bed.FolderAsync(id)).UidValidity;

        dovecot.Server.ResetUidValidity(user);
        await bed.AppendAsync(user, 13, 3);
        var outcome = await bed.SyncAsync(id);

        outcome.Succeeded.Should().BeTrue();
        var messages = await bed.MessagesAsync(id);
        var inbox = await bed.FolderAsync(id);
        inbox.UidValidity.Should().NotBe(oldValidity);
        messages.Should().HaveCount(15).And.OnlyContain(m => m.UidValidity == inbox.UidValidity);
        messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems()
            .And.BeEquivalentTo(Enumerable.Range(1, 15).Select(n => $"test-message-{n}@example.com"));
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0));
    }

    [Fact]
    public async Task A_wrong_password_is_recorded_as_a_failing_streak_without_leaking_the_password()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        const string wrong = "Wrong-Secret-123";
        var (id, _) = await bed.AddAccountAsync(password: wrong);

        var first = await bed.SyncAsync(id);
        var afterFirst = (await bed.AccountAsync(id))!;
        var second = await bed.SyncAsync(id);
        var afterSecond = (await bed.AccountAsync(id))!;

        first.Status.Should().Be(SyncOutcomeStatus.Failed);
        first.ErrorKind.Should().Be(SyncErrorKind.AuthenticationFailed);
        first.Error.Should().Contain("rejected the username or password");
        afterFirst.LastSyncErrorKind.Should().Be(nameof(SyncErrorKind.AuthenticationFailed));
        afterFirst.ConsecutiveSyncFailures.Should().Be(1);
        afterFirst.FailingSince.Should().NotBeNull();
        afterSecond.ConsecutiveSyncFailures.Should().Be(2);
        afterSecond.FailingSince.Should().Be(afterFirst.FailingSince, "the streak started with the first failure");
        afterSecond.LastSyncFailedAt.Should().BeOnOrAfter(afterFirst.LastSyncFailedAt!.Value);
        bed.Host.Logs.AllText.Should().NotContain(wrong);
        afterSecond.LastSyncError.Should().NotContain(wrong);
    }

    [Fact]
    public async Task A_success_after_failures_ends_the_failing_streak()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync(password: "wrong-password");
        await bed.SyncAsync(id);
        var secrets = bed.Host.Services.GetService(typeof(EmailSettings.Core.Secrets.SecretProtector)) as EmailSettings.Core.Secrets.SecretProtector;
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            var account = db.EmailAccounts.Single(a => a.Id == id);
            account.ImapPasswordProtected = secrets!.Protect(EmailSettings.Core.Secrets.SecretKind.ImapPassword, SyncTestBed.Password);
            await db.SaveChangesAsync();
        }
        await bed.AppendAsync(user, 1, 2);

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(2));

        var after = (await bed.AccountAsync(id))!;
        after.ConsecutiveSyncFailures.Should().Be(0);
        after.FailingSince.Should().BeNull();
        after.LastSyncError.Should().BeNull();
        after.LastSyncFailedAt.Should().NotBeNull("the last failure stays on record");
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_host_unreachable()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, _) = await bed.AddAccountAsync(port: FreePort.Next());

        var outcome = await bed.SyncAsync(id);

        outcome.ErrorKind.Should().Be(SyncErrorKind.HostUnreachable);
        outcome.Error.Should().Contain("Cannot reach the IMAP server 127.0.0.1:");
    }

    [Fact]
    public async Task A_server_that_never_answers_is_reported_as_timed_out()
    {
        await using var silent = new SilentListener();
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, settings: new Dictionary<string, string?> { ["Sync:Timeout"] = "00:00:01" });
        var (id, _) = await bed.AddAccountAsync(port: silent.Port);

        var outcome = await bed.SyncAsync(id);

        outcome.ErrorKind.Should().Be(SyncErrorKind.TimedOut);
        (await bed.AccountAsync(id))!.LastSyncErrorKind.Should().Be(nameof(SyncErrorKind.TimedOut));
    }

    [Fact]
    public async Task An_untrusted_certificate_is_reported_with_its_fingerprint()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, _) = await bed.AddAccountAsync(pin: null);

        var outcome = await bed.SyncAsync(id);

        outcome.ErrorKind.Should().Be(SyncErrorKind.Tls);
        outcome.Error.Should().Contain(dovecot.Server.CertificateSha256);
    }

    [Fact]
    public async Task Scheduled_runs_back_off_after_repeated_failures_but_manual_syncs_still_run()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, settings: new Dictionary<string, string?> { ["Sync:BackoffAfterFailures"] = "2" });
        var (id, _) = await bed.AddAccountAsync(password: "wrong-password");
        var tenant = bed.Host.TenantA;

        (await bed.Coordinator.RunAsync(tenant, id, SyncTrigger.Scheduled, default)).Status.Should().Be(SyncOutcomeStatus.Failed);
        (await bed.Coordinator.RunAsync(tenant, id, SyncTrigger.Scheduled, default)).Status.Should().Be(SyncOutcomeStatus.Failed);
        (await bed.Coordinator.RunAsync(tenant, id, SyncTrigger.Scheduled, default)).Should().Be(SyncOutcome.Skipped);
        (await bed.Coordinator.RunAsync(tenant, id, SyncTrigger.Manual, default)).Status.Should().Be(SyncOutcomeStatus.Failed);

        (await bed.AccountAsync(id))!.ConsecutiveSyncFailures.Should().Be(3);
        new SyncOptions { BackoffAfterFailures = 2 }.BackoffFor(3).Should().Be(TimeSpan.FromMinutes(20));
        new SyncOptions().BackoffFor(30).Should().Be(TimeSpan.FromHours(6));
    }

    [Fact]
    public async Task Concurrent_requests_for_one_account_join_one_sync()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 5);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 20);
        using var events = bed.Record();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var blocker = bed.Notifier.Subscribe(bed.Host.TenantA, e => e.Kind == SyncEventKind.Progress && e.Done == 5 ? gate.Task : Task.CompletedTask);

        var manual = bed.Coordinator.RunAsync(bed.Host.TenantA, id, SyncTrigger.Manual, default);
        await Eventually.HoldsAsync(() => events.For(id).Any(e => e.Done == 5), "the first batch is stored");
        var scheduled = bed.Coordinator.RunAsync(bed.Host.TenantA, id, SyncTrigger.Scheduled, default);
        var again = bed.Coordinator.RunAsync(bed.Host.TenantA, id, SyncTrigger.Manual, default);
        var otherTenant = await bed.Coordinator.RunAsync(bed.Host.TenantB, id, SyncTrigger.Manual, default);
        gate.SetResult();
        var outcomes = await Task.WhenAll(manual, scheduled, again);

        outcomes.Should().AllBeEquivalentTo(SyncOutcome.Success(20));
        otherTenant.Should().Be(SyncOutcome.NotFound);
        events.For(id).Count(e => e.Kind == SyncEventKind.Started).Should().Be(1);
        (await bed.MessagesAsync(id)).Should().HaveCount(20);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class ImapSyncServiceTestsOnPostgres(SharedDovecot dovecot) : ImapSyncServiceTests(dovecot)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
