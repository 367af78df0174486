using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>
/// Two nodes (two Core hosts, each with its own leases, listener and notifier) on one PostgreSQL database and one
/// Dovecot: one sync per account across both, the same outcome on both, and progress heard on both.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterSyncTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private static Dictionary<string, string?> Node(string name) => new()
    {
        [ClusterOptions.NodeNameKey] = name,
        [ClusterOptions.KeepAliveIntervalKey] = "00:00:01",
        ["Sync:Interval"] = "01:00:00",
    };

    private Task<SyncTestBed> NodeAAsync() => SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, batchSize: 5, settings: Node("node-a"));

    private static async Task<PostgresNotificationListener> ListenAsync(SyncTestBed node)
    {
        var listener = node.Host.Services.GetRequiredService<PostgresNotificationListener>();
        await listener.StartAsync(CancellationToken.None);
        await listener.WaitUntilListeningAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return listener;
    }

    /// <summary>Holds the node's sync of the tenant at its first committed batch until released.</summary>
    private static (IDisposable Hold, TaskCompletionSource Release) HoldAtFirstBatch(SyncTestBed node)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = node.Notifier.Subscribe(node.Host.TenantA, e => e.Kind == SyncEventKind.Progress && e.Done == 5 ? release.Task : Task.CompletedTask);
        return (new Releasing(hold, release), release);
    }

    /// <summary>
    /// Ends a hold and lets the held sync go on: a test that fails while holding a sync then fails, instead of
    /// hanging in the disposal of its node, which waits for that sync.
    /// </summary>
    private sealed class Releasing(IDisposable subscription, TaskCompletionSource release) : IDisposable
    {
        public void Dispose()
        {
            release.TrySetResult();
            subscription.Dispose();
        }
    }

    [Fact]
    public async Task Syncing_one_account_on_both_nodes_at_once_makes_one_IMAP_session_and_both_report_its_outcome()
    {
        await using var a = await NodeAAsync();
        await using var b = await a.JoinAsync("node-b");
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 15);
        var sessionsBefore = dovecot.Server.LoginCount(user);
        using var onA = a.Record();
        var (hold, release) = HoldAtFirstBatch(a);
        using (hold)
        {
            var first = a.Host.Get<SyncService>(a.Host.TenantA).RequestSyncAsync(id);
            await Eventually.HoldsAsync(() => onA.For(id).Any(e => e.Done == 5), "node A runs the sync and stored its first batch");
            var second = b.Host.Get<SyncService>(b.Host.TenantA).RequestSyncAsync(id);
            await Eventually.HoldsAsync(() => b.Host.Logs.AllText.Contains($"Manual sync request for account {id} waits for the sync running on another node"),
                "node B waits for node A's run instead of starting its own");
            release.SetResult();

            var (onNodeA, onNodeB) = (await first, await second);

            onNodeA.Value.Should().Be(SyncOutcome.Success(15));
            onNodeB.Value.Should().Be(onNodeA.Value, "node B reports the outcome of the run it waited for");
        }
        (dovecot.Server.LoginCount(user) - sessionsBefore).Should().Be(1, "one IMAP session for both requests");
        var messages = await a.MessagesAsync(id);
        messages.Should().HaveCount(15);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        b.Host.Logs.AllText.Should().Contain($"reports the outcome of the other node's sync: Succeeded");
    }

    [Fact]
    public async Task A_failed_run_on_one_node_is_the_outcome_a_waiting_node_reports()
    {
        await using var a = await NodeAAsync();
        await using var b = await a.JoinAsync("node-b");
        var (id, _) = await a.AddAccountAsync(password: "Wrong-Password-1");
        using var onA = a.Record();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var hold = new Releasing(a.Notifier.Subscribe(a.Host.TenantA, e => e.Kind == SyncEventKind.Started ? release.Task : Task.CompletedTask), release);

        var first = a.SyncAsync(id);
        await Eventually.HoldsAsync(() => onA.For(id).Any(e => e.Kind == SyncEventKind.Started), "node A started");
        var second = b.SyncAsync(id);
        await Eventually.HoldsAsync(() => b.Host.Logs.AllText.Contains($"sync request for account {id} waits for the sync running on another node"), "node B waits");
        release.SetResult();

        var (onNodeA, onNodeB) = (await first, await second);
        onNodeA.ErrorKind.Should().Be(SyncErrorKind.AuthenticationFailed);
        onNodeB.Should().Be(onNodeA, "the same kind and the same text");
        (await a.AccountAsync(id))!.ConsecutiveSyncFailures.Should().Be(1, "one run failed, not two");
    }

    [Fact]
    public async Task A_sync_on_one_node_is_heard_on_the_other_from_start_to_end_and_only_by_the_tenant()
    {
        await using var a = await NodeAAsync();
        await using var b = await a.JoinAsync("node-b");
        await ListenAsync(a);
        await ListenAsync(b);
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 15);
        using var onA = a.Record();
        using var onB = b.Record();
        using var otherTenantOnB = b.Record(b.Host.TenantB);
        var (hold, release) = HoldAtFirstBatch(a);
        using (hold)
        {
            var run = a.SyncAsync(id);
            await Eventually.HoldsAsync(() => b.Notifier.GetRunning(b.Host.TenantA, id)?.Done == 5, "node B hears node A's progress");

            var pageOnB = b.Host.Get<SyncService>(b.Host.TenantA);
            pageOnB.GetRunning(id)!.ProgressText.Should().Be("5 of 15", "a page opened on node B shows the sync running on node A");
            b.Host.Get<SyncService>(b.Host.TenantB).GetRunning().Should().BeEmpty("another tenant's page never sees it");
            release.SetResult();
            (await run).Should().Be(SyncOutcome.Success(15));
        }

        await Eventually.HoldsAsync(() => onB.For(id).Any(e => e.Kind == SyncEventKind.Completed), "node B hears the end");
        onB.For(id).Select(e => e.Kind).Should().StartWith(SyncEventKind.Started).And.EndWith(SyncEventKind.Completed);
        onB.For(id)[^1].NewMessages.Should().Be(15);
        onB.For(id).Where(e => e.Kind == SyncEventKind.Progress).Select(e => e.Done).Should().Contain([5, 15]);
        b.Notifier.IsSyncing(b.Host.TenantA, id).Should().BeFalse();
        otherTenantOnB.Events.Should().BeEmpty();
        onA.For(id).Count(e => e.Kind == SyncEventKind.Started).Should().Be(1, "a node does not hear its own events a second time");
    }

    [Fact]
    public async Task After_its_notification_session_drops_a_node_reads_the_running_syncs_again_from_the_database()
    {
        await using var a = await NodeAAsync();
        await using var b = await a.JoinAsync("node-b");
        var listenerB = await ListenAsync(b);
        // Long enough that node A's events fall into the gap; the catch-up, not a notification, must bring them.
        listenerB.ReconnectDelay = TimeSpan.FromSeconds(3);
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 15);
        using var onA = a.Record();
        using var onB = b.Record();
        var postgres = await PostgresServer.SharedAsync();
        var (hold, release) = HoldAtFirstBatch(a);
        using (hold)
        {
            // Gap 1: the sync starts while node B does not listen.
            (await postgres.TerminateSessionsAsync(b.Host.PostgresDatabase!, "EmailSettings listener node-b")).Should().Be(1);
            await Eventually.HoldsAsync(() => !listenerB.IsListening, "node B noticed the drop");
            var run = a.SyncAsync(id);
            await Eventually.HoldsAsync(() => onA.For(id).Any(e => e.Done == 5), "node A runs");
            onB.For(id).Should().BeEmpty("node B heard none of it");

            await Eventually.HoldsAsync(() => b.Notifier.IsSyncing(b.Host.TenantA, id), "after listening again node B finds the running sync", TimeSpan.FromSeconds(30));
            listenerB.Sessions.Should().Be(2);

            // Gap 2: the sync ends while node B does not listen.
            (await postgres.TerminateSessionsAsync(b.Host.PostgresDatabase!, "EmailSettings listener node-b")).Should().Be(1);
            await Eventually.HoldsAsync(() => !listenerB.IsListening, "node B noticed the second drop");
            release.SetResult();
            (await run).Should().Be(SyncOutcome.Success(15));
        }

        await Eventually.HoldsAsync(() => !b.Notifier.IsSyncing(b.Host.TenantA, id), "node B learns that the sync ended", TimeSpan.FromSeconds(30));
        var end = onB.For(id)[^1];
        end.Kind.Should().Be(SyncEventKind.Completed, "the outcome comes from the account's record");
        end.NewMessages.Should().Be(15);
    }

    [Fact]
    public async Task A_node_that_loses_its_lease_mid_sync_stops_and_the_other_node_finishes_without_duplicates()
    {
        await using var a = await NodeAAsync();
        await using var b = await a.JoinAsync("node-b");
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 15);
        using var onA = a.Record();
        var (hold, release) = HoldAtFirstBatch(a);
        SyncOutcome interrupted;
        using (hold)
        {
            var run = a.SyncAsync(id);
            await Eventually.HoldsAsync(() => onA.For(id).Any(e => e.Done == 5), "node A stored its first batch");
            var postgres = await PostgresServer.SharedAsync();
            (await postgres.TerminateSessionsAsync(a.Host.PostgresDatabase!, "EmailSettings leases node-a")).Should().Be(1);
            await Eventually.HoldsAsync(() => a.Host.Logs.AllText.Contains("The lease session of node node-a broke"), "node A notices");
            release.SetResult();
            interrupted = await run;
        }

        interrupted.ErrorKind.Should().Be(SyncErrorKind.Cancelled, "without its lease the run must stop: another node may take the account");
        a.Host.Logs.AllText.Should().Contain($"The sync of account {id} stopped: this node lost its lease");
        var kept = await a.MessagesAsync(id);
        kept.Count.Should().BeOneOf([5, 10], "whole batches only: the first, and perhaps the prefetched second");
        var resumed = await b.SyncAsync(id);
        resumed.Should().Be(SyncOutcome.Success(15 - kept.Count), "node B continues after the committed batches");
        var all = await a.MessagesAsync(id);
        all.Should().HaveCount(15);
        all.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
    }
}
