using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>The real Quartz scheduler in a started Core host.</summary>
[Trait("Category", "Integration")]
public class SyncSchedulerTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly Dictionary<string, string?> HourlyInterval = new() { ["Sync:Interval"] = "01:00:00" };

    [Fact]
    public async Task Every_configured_account_gets_a_job_at_start_and_saving_or_deleting_an_account_updates_it()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, settings: HourlyInterval);
        var (existing, _) = await bed.AddAccountAsync();
        await bed.Host.Host.StartAsync();
        var scheduler = await bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        (await scheduler.Exists(SyncScheduler.JobKeyFor(existing))).Should().BeTrue("start-up schedules stored accounts");
        var trigger = (ISimpleTrigger)(await scheduler.GetTrigger(SyncScheduler.TriggerKeyFor(existing)))!;
        trigger.RepeatInterval.Should().Be(TimeSpan.FromHours(1));

        var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
        var serverId = (await bed.Host.Get<MailServerService>(bed.Host.TenantA).ListAsync())[0].Id;
        var user = SyncTestBed.NewUser();
        dovecot.Server.AddUser(user, SyncTestBed.Password);
        var input = new EmailAccountInput
        {
            EmailAddress = $"{user}@example.com",
            DisplayName = "Support",
            MailServerId = serverId,
            ImapHost = dovecot.Server.Host,
            ImapPort = dovecot.Server.ImapPort,
            ImapUsername = user,
            ImapPassword = SyncTestBed.Password,
            ImapPinnedCertificateSha256 = dovecot.Server.CertificateSha256,
        };
        var created = await accounts.CreateAsync(input);
        created.Succeeded.Should().BeTrue();
        var id = created.Value!.Id;
        (await scheduler.Exists(SyncScheduler.JobKeyFor(id))).Should().BeTrue("creating a configured account schedules it");

        var noImap = new EmailAccountInput { DisplayName = "No IMAP", MailServerId = serverId, EmailAddress = $"noimap-{user}@example.com" };
        var plain = (await accounts.CreateAsync(noImap)).Value!.Id;
        (await scheduler.Exists(SyncScheduler.JobKeyFor(plain))).Should().BeFalse("an account without IMAP settings is not synced");

        var edit = (await accounts.GetForEditAsync(id))!;
        edit.ImapHost = null;
        edit.ImapUsername = null;
        (await accounts.UpdateAsync(id, edit)).Succeeded.Should().BeTrue();
        (await scheduler.Exists(SyncScheduler.JobKeyFor(id))).Should().BeFalse("removing the IMAP settings unschedules");

        (await accounts.DeleteAsync(existing)).Succeeded.Should().BeTrue();
        (await scheduler.Exists(SyncScheduler.JobKeyFor(existing))).Should().BeFalse("deleting unschedules");
        (await scheduler.Exists(SyncScheduler.JobKeyFor(id))).Should().BeFalse();

        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task A_manual_sync_pressed_during_a_scheduled_run_joins_it()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 5, settings: HourlyInterval);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 15);
        using var events = bed.Record();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var blocker = bed.Notifier.Subscribe(bed.Host.TenantA, e => e.Kind == SyncEventKind.Progress && e.Done == 5 ? gate.Task : Task.CompletedTask);

        // Start-up schedules the account with its first run now: that scheduled run is held after its first batch.
        await bed.Host.Host.StartAsync();
        await Eventually.HoldsAsync(() => events.For(id).Any(e => e.Done == 5), "the scheduled run stored its first batch");
        var manual = bed.Host.Get<SyncService>(bed.Host.TenantA).RequestSyncAsync(id);
        await Eventually.HoldsAsync(() => bed.Host.Logs.AllText.Contains($"Manual sync request for account {id} joins the running sync"), "the click joins");
        gate.SetResult();

        var result = await manual;
        result.Value.Should().Be(SyncOutcome.Success(15));
        events.For(id).Count(e => e.Kind == SyncEventKind.Started).Should().Be(1);
        (await bed.MessagesAsync(id)).Should().HaveCount(15);
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task Stopping_the_host_cancels_a_running_sync_and_keeps_what_it_committed()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 5, settings: HourlyInterval);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 15);
        using var events = bed.Record();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var blocker = bed.Notifier.Subscribe(bed.Host.TenantA, e => e.Kind == SyncEventKind.Progress && e.Done == 5 ? gate.Task : Task.CompletedTask);
        await bed.Host.Host.StartAsync();
        await Eventually.HoldsAsync(() => events.For(id).Any(e => e.Done == 5), "the scheduled run stored its first batch");

        var stopping = bed.Host.Host.StopAsync();
        await Eventually.HoldsAsync(() => bed.Coordinator.IsCancellationRequested(id), "shutdown cancels the sync");
        gate.SetResult();
        await stopping;

        events.For(id)[^1].ErrorKind.Should().Be(SyncErrorKind.Cancelled);
        (await bed.MessagesAsync(id)).Should().HaveCount(5);
        var account = (await bed.AccountAsync(id))!;
        account.ConsecutiveSyncFailures.Should().Be(0, "a cancelled sync is not a failure of the mailbox");
        account.LastSyncedUid.Should().BeGreaterThan(0);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SyncSchedulerTestsOnPostgres(SharedDovecot dovecot) : SyncSchedulerTests(dovecot)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
