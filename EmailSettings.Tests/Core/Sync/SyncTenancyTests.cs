using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.EndToEnd;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>
/// The sync singletons take a tenant id from their Core callers; handed another tenant's account id they refuse it.
/// Real Dovecot, real SQLite, real Quartz.
/// </summary>
public sealed class SyncTenancyTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private static readonly Dictionary<string, string?> HourlyInterval = new() { ["Sync:Interval"] = "01:00:00" };

    [Fact]
    public async Task The_engine_refuses_another_tenants_account_and_touches_neither_mailbox_nor_database()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var (id, user) = await bed.AddAccountAsync(bed.Host.TenantA);
        await bed.AppendAsync(user, 1, 3);
        using var heardByA = bed.Record(bed.Host.TenantA);
        using var heardByB = bed.Record(bed.Host.TenantB);

        var refused = await bed.Engine.SyncAsync(bed.Host.TenantB, id, CancellationToken.None);

        refused.Should().Be(SyncOutcome.NotFound);
        (await bed.MessagesAsync(id)).Should().BeEmpty();
        (await bed.AccountAsync(id))!.LastSyncStartedAt.Should().BeNull("nothing was recorded on the account");
        heardByA.Events.Should().BeEmpty();
        heardByB.Events.Should().BeEmpty();

        (await bed.Engine.SyncAsync(bed.Host.TenantA, id, CancellationToken.None)).Should().Be(SyncOutcome.Success(3),
            "the same call for the account's own tenant syncs it");
    }

    [Fact]
    public async Task While_an_account_syncs_another_tenant_can_neither_join_nor_cancel_nor_see_it()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, batchSize: 5);
        var (id, user) = await bed.AddAccountAsync(bed.Host.TenantA);
        await bed.AppendAsync(user, 1, 15);
        using var heardByA = bed.Record(bed.Host.TenantA);
        using var heardByB = bed.Record(bed.Host.TenantB);
        // Disposed before the bed, so a failed assertion releases the run instead of leaving the host's disposal waiting.
        using var hold = SyncHold.Arm(bed.Host.Services, bed.Host.TenantA);

        var run = bed.SyncAsync(id);
        await hold.Reached;

        (await bed.Coordinator.RunAsync(bed.Host.TenantB, id, SyncTrigger.Manual, CancellationToken.None)).Should().Be(SyncOutcome.NotFound);
        (await bed.Coordinator.RunAsync(bed.Host.TenantB, id, SyncTrigger.Scheduled, CancellationToken.None)).Should().Be(SyncOutcome.NotFound);
        // Bounded: a cancel that wrongly went through would wait for the held run.
        (await bed.Coordinator.CancelAsync(bed.Host.TenantB, id).WaitAsync(TimeSpan.FromSeconds(10))).Should().BeFalse();
        bed.Coordinator.IsCancellationRequested(id).Should().BeFalse();
        bed.Notifier.GetRunning(bed.Host.TenantB).Should().BeEmpty();
        bed.Notifier.GetRunning(bed.Host.TenantB, id).Should().BeNull();
        bed.Host.Get<SyncService>(bed.Host.TenantB).GetRunning().Should().BeEmpty();
        bed.Host.Get<SyncService>(bed.Host.TenantB).GetRunning(id).Should().BeNull();
        bed.Host.Get<SyncService>(bed.Host.TenantA).GetRunning(id).Should().NotBeNull("the owner sees its running sync");
        hold.Release();

        (await run).Should().Be(SyncOutcome.Success(15));
        (await bed.MessagesAsync(id)).Should().HaveCount(15);
        heardByA.For(id).Count(e => e.Kind == SyncEventKind.Started).Should().Be(1, "tenant B's requests started no second run");
        heardByB.Events.Should().BeEmpty();
    }

    [Fact]
    public async Task The_owner_cancels_its_running_sync()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, batchSize: 5);
        var (id, user) = await bed.AddAccountAsync(bed.Host.TenantA);
        await bed.AppendAsync(user, 1, 15);
        using var hold = SyncHold.Arm(bed.Host.Services, bed.Host.TenantA);
        var run = bed.SyncAsync(id);
        await hold.Reached;

        var cancelling = bed.Coordinator.CancelAsync(bed.Host.TenantA, id);
        await Eventually.HoldsAsync(() => bed.Coordinator.IsCancellationRequested(id), "the owner's cancel reaches the run");
        hold.Release();

        (await cancelling).Should().BeTrue();
        (await run).ErrorKind.Should().Be(SyncErrorKind.Cancelled);
    }

    [Fact]
    public async Task Account_changes_reported_for_another_tenant_neither_unschedule_nor_cancel_the_owners_sync()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, batchSize: 5, settings: HourlyInterval);
        var (id, user) = await bed.AddAccountAsync(bed.Host.TenantA);
        await bed.AppendAsync(user, 1, 15);
        using var heardByA = bed.Record(bed.Host.TenantA);
        using var hold = SyncHold.Arm(bed.Host.Services, bed.Host.TenantA);
        // Start-up schedules the account with its first run now: that scheduled run is held at its start.
        await bed.Host.Host.StartAsync();
        await hold.Reached;
        var scheduler = await bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var listener = bed.Host.Services.GetRequiredService<IEmailAccountChangeListener>();

        await listener.AccountSavedAsync(bed.Host.TenantB, id, CancellationToken.None);
        await listener.AccountDeletedAsync(bed.Host.TenantB, id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var job = await scheduler.GetJobDetail(SyncScheduler.JobKeyFor(id));
        job.Should().NotBeNull("another tenant's report leaves the owner's schedule alone");
        job!.JobDataMap.GetString(ImapSyncJob.TenantIdKey).Should().Be(bed.Host.TenantA.ToString());
        bed.Coordinator.IsCancellationRequested(id).Should().BeFalse();
        bed.Host.Logs.AllText.Should().Contain($"Refused to unschedule the IMAP sync of account {id} for tenant {bed.Host.TenantB}");
        hold.Release();
        await Eventually.HoldsAsync(() => heardByA.For(id).Any(e => e.Kind == SyncEventKind.Completed), "the scheduled run completed");
        heardByA.For(id).Single(e => e.Kind == SyncEventKind.Completed).NewMessages.Should().Be(15);

        await listener.AccountDeletedAsync(bed.Host.TenantA, id, CancellationToken.None);
        (await scheduler.Exists(SyncScheduler.JobKeyFor(id))).Should().BeFalse("the owner's report does unschedule");
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task The_start_up_pass_schedules_the_accounts_of_every_tenant_each_for_its_own_tenant()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: HourlyInterval);
        var (ofA, _) = await bed.AddAccountAsync(bed.Host.TenantA);
        var (ofB, _) = await bed.AddAccountAsync(bed.Host.TenantB);

        await bed.Host.Host.StartAsync();
        var scheduler = await bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        (await scheduler.GetJobDetail(SyncScheduler.JobKeyFor(ofA)))!.JobDataMap.GetString(ImapSyncJob.TenantIdKey)
            .Should().Be(bed.Host.TenantA.ToString());
        (await scheduler.GetJobDetail(SyncScheduler.JobKeyFor(ofB)))!.JobDataMap.GetString(ImapSyncJob.TenantIdKey)
            .Should().Be(bed.Host.TenantB.ToString());
        await bed.Host.Host.StopAsync();
    }
}
