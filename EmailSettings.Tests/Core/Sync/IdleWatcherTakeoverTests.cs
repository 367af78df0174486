using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync.Push;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>
/// Issue 17 on several nodes (issue 15): two Core nodes on one PostgreSQL and one Dovecot, both started. Each account's
/// idle connection is kept by exactly one node (the "imap-idle" lease), and another node takes it over when that
/// node stops or loses its lease.
/// </summary>
public sealed class IdleWatcherTakeoverTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private static readonly TimeSpan PushLimit = TimeSpan.FromSeconds(5);

    private static Dictionary<string, string?> Node(string name, string takeover) => new()
    {
        [ClusterOptions.NodeNameKey] = name,
        [ClusterOptions.KeepAliveIntervalKey] = "00:00:01",
        [ClusterOptions.IdleTakeoverIntervalKey] = takeover,
        // Polls far apart: only push brings mail within the test.
        ["Sync:Interval"] = "00:05:00",
        ["Sync:IdleReconnectDelay"] = "00:00:00.2",
        ["Sync:IdleMaxReconnectDelay"] = "00:00:01",
    };

    [Fact]
    public async Task An_account_idles_on_one_node_only_and_the_other_node_takes_it_over_when_that_node_goes_away()
    {
        await using var a = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, settings: Node("node-a", "00:00:01"));
        // Node B goes away in the test (node A owns the test database, so it stays).
        var b = await a.JoinAsync("node-b");
        try
        {
            var (id, user) = await a.AddAccountAsync();
            await a.AppendAsync(user, 1, 2);
            await b.Host.Host.StartAsync();
            await Eventually.HoldsAsync(() => Watchers(b).IsIdling(b.Host.TenantA, id), "node B idles on the account after its first sync");
            await a.Host.Host.StartAsync();

            // Node A's takeover passes see the lease held and leave the account alone.
            (await Takeover(a).PassAsync(CancellationToken.None)).Should().Be(0);
            (await HolderOfLeaseAsync(a, id)).Should().Be("node-b");
            await a.AppendAsync(user, 3, 1);
            await Eventually.HoldsAsync(async () => (await a.MessagesAsync(id)).Count == 3, "new mail is pushed through node B's connection", PushLimit);
            Watchers(a).Count.Should().Be(0, "node A never kept an idle connection for it");

            // Node B leaves: its lease session closes, and with it the lease.
            await b.DisposeAsync();
            await Eventually.HoldsAsync(() => Watchers(a).IsIdling(a.Host.TenantA, id),
                "node A takes the account over within a few takeover passes", TimeSpan.FromSeconds(15));
            (await HolderOfLeaseAsync(a, id)).Should().Be("node-a");
            await a.AppendAsync(user, 4, 1);
            await Eventually.HoldsAsync(async () => (await a.MessagesAsync(id)).Count == 4, "new mail is pushed through node A now", PushLimit);
        }
        finally
        {
            // Disposing a host a second time does nothing more.
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_node_whose_lease_session_breaks_stops_its_watcher_and_the_other_node_takes_the_account()
    {
        // Node A never runs a takeover pass within the test, so only node B can take the account once A lost it.
        await using var a = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, settings: Node("node-a", "01:00:00"));
        await using var b = await a.JoinAsync("node-b", new Dictionary<string, string?> { [ClusterOptions.IdleTakeoverIntervalKey] = "00:00:01" });
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 1);
        await a.Host.Host.StartAsync();
        await Eventually.HoldsAsync(() => Watchers(a).IsIdling(a.Host.TenantA, id), "node A idles on the account");
        await b.Host.Host.StartAsync();
        (await Takeover(b).PassAsync(CancellationToken.None)).Should().Be(0, "node A holds the account");

        // What a node cut off from the database sees: PostgreSQL ends its lease session, and with it the lease.
        var postgres = await PostgresServer.SharedAsync();
        (await postgres.TerminateSessionsAsync(a.Host.PostgresDatabase!, "EmailSettings leases node-a")).Should().Be(1);

        await Eventually.HoldsAsync(() => Watchers(a).Watcher(id) is null, "node A's watcher stops when its lease is lost", TimeSpan.FromSeconds(15));
        await Eventually.HoldsAsync(() => Watchers(b).IsIdling(b.Host.TenantA, id), "node B takes the account over", TimeSpan.FromSeconds(15));
        a.Host.Logs.AllText.Should().Contain("The lease session of node node-a broke");
        await a.AppendAsync(user, 2, 1);
        await Eventually.HoldsAsync(async () => (await b.MessagesAsync(id)).Count == 2, "new mail is pushed through node B", PushLimit);
        Watchers(a).Watcher(id).Should().BeNull("node A did not start watching again");
    }

    [Fact]
    public async Task Saving_or_deleting_an_account_through_one_node_stops_its_idle_connection_on_the_other_at_once()
    {
        // No takeover passes within the test: only the save's sync may start a watcher again.
        await using var a = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, dovecot.Server, settings: Node("node-a", "01:00:00"));
        await using var b = await a.JoinAsync("node-b");
        var (id, user) = await a.AddAccountAsync();
        await a.AppendAsync(user, 1, 1);
        await b.Host.Host.StartAsync();
        await Eventually.HoldsAsync(() => Watchers(b).IsIdling(b.Host.TenantA, id), "node B idles on the account");
        await a.Host.Host.StartAsync();
        var first = Watchers(b).Watcher(id)!.Value.Number;

        var accounts = a.Host.Get<EmailAccountService>(a.Host.TenantA);
        (await accounts.UpdateAsync(id, (await accounts.GetForEditAsync(id))!)).Succeeded.Should().BeTrue();
        await Eventually.HoldsAsync(() => Watchers(b).Watcher(id)?.Number != first, "node B's watcher stops when node A saves the account");
        await Eventually.HoldsAsync(() => Watchers(a).IsIdling(a.Host.TenantA, id) ^ Watchers(b).IsIdling(b.Host.TenantA, id),
            "the save's sync starts a new watcher on the node that ran it, and only there");

        (await accounts.DeleteAsync(id)).Succeeded.Should().BeTrue();
        await Eventually.HoldsAsync(() => Watchers(a).Watcher(id) is null && Watchers(b).Watcher(id) is null, "deleting it stops its watcher on both nodes");
        (await HolderOfLeaseAsync(a, id)).Should().BeNull("nobody watches a deleted account");
    }

    private static IdleWatchers Watchers(SyncTestBed node) => node.Host.Services.GetRequiredService<IdleWatchers>();

    private static IdleWatcherTakeover Takeover(SyncTestBed node) => node.Host.Services.GetRequiredService<IdleWatcherTakeover>();

    private static Task<string?> HolderOfLeaseAsync(SyncTestBed node, int accountId) =>
        LeaseHolders.NodeHoldingAsync(node.Host.ConnectionString, ClusterWatcherOwnership.KeyFor(accountId));
}
