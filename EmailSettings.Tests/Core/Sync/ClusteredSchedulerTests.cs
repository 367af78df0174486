using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>The schedule in Quartz's clustered store on PostgreSQL outlives the node that wrote it.</summary>
[Trait("Category", "Integration")]
public sealed class ClusteredSchedulerTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private static readonly Dictionary<string, string?> Hourly = new()
    {
        ["Sync:Interval"] = "01:00:00",
        ["Cluster:CheckinInterval"] = "00:00:01",
        ["Cluster:CheckinMisfireThreshold"] = "00:00:02",
    };

    private static async Task<IScheduler> SchedulerOf(SyncTestBed node) =>
        await node.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

    [Fact]
    public async Task A_restarted_node_keeps_each_accounts_next_run_and_a_changed_interval_counts_from_it()
    {
        await using var first = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, settings: Hourly);
        var (id, user) = await first.AddAccountAsync();
        await first.AppendAsync(user, 1, 3);
        await first.Host.Host.StartAsync();
        await Eventually.HoldsAsync(() => first.MessagesAsync(id).Result.Count == 3, "the first run, at start-up, synced the account", TimeSpan.FromSeconds(60));
        var stored = (ISimpleTrigger)(await (await SchedulerOf(first)).GetTrigger(SyncScheduler.TriggerKeyFor(id)))!;
        var next = stored.NextFireTimeUtc!.Value;
        next.Should().BeAfter(DateTimeOffset.UtcNow.AddMinutes(50), "after its first run the account's next run is an interval away");
        var job = (await (await SchedulerOf(first)).GetJobDetail(SyncScheduler.JobKeyFor(id)))!;
        job.RequestsRecovery.Should().BeTrue("a node that dies mid-sync has its firing re-run by another");
        job.ConcurrentExecutionDisallowed.Should().BeTrue("never two runs of one account's job in the cluster");
        await first.Host.Host.StopAsync();

        await using (var restarted = await first.JoinAsync("restarted"))
        {
            await restarted.Host.Host.StartAsync();
            var kept = (ISimpleTrigger)(await (await SchedulerOf(restarted)).GetTrigger(SyncScheduler.TriggerKeyFor(id)))!;
            kept.NextFireTimeUtc.Should().Be(next, "a restart must not move every account's next run to now");
            restarted.Host.Logs.AllText.Should().Contain("(1 kept their next run from the stored schedule)");
            await restarted.Host.Host.StopAsync();
        }

        await using var reconfigured = await first.JoinAsync("reconfigured", new Dictionary<string, string?> { ["Sync:Interval"] = "00:30:00" });
        await reconfigured.Host.Host.StartAsync();
        var changed = (ISimpleTrigger)(await (await SchedulerOf(reconfigured)).GetTrigger(SyncScheduler.TriggerKeyFor(id)))!;
        changed.RepeatInterval.Should().Be(TimeSpan.FromMinutes(30));
        changed.NextFireTimeUtc.Should().Be(next, "the new interval counts from the stored next run");
        await reconfigured.Host.Host.StopAsync();
    }

    [Fact]
    public async Task A_job_whose_account_went_away_while_no_node_ran_is_removed_at_start()
    {
        await using var first = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, settings: Hourly);
        var (gone, _) = await first.AddAccountAsync();
        var (stays, _) = await first.AddAccountAsync();
        await first.Host.Host.StartAsync();
        (await (await SchedulerOf(first)).Exists(SyncScheduler.JobKeyFor(gone))).Should().BeTrue();
        await first.Host.Host.StopAsync();
        await using (var db = await first.Host.CreateDbContextAsync())
        {
            await db.EmailAccounts.Where(a => a.Id == gone).ExecuteDeleteAsync();
        }

        await using var next = await first.JoinAsync("next");
        await next.Host.Host.StartAsync();

        var scheduler = await SchedulerOf(next);
        (await scheduler.Exists(SyncScheduler.JobKeyFor(gone))).Should().BeFalse();
        (await scheduler.Exists(SyncScheduler.JobKeyFor(stays))).Should().BeTrue();
        next.Host.Logs.AllText.Should().Contain($"Removed the IMAP sync job account-{gone}");
        await next.Host.Host.StopAsync();
    }
}
