using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Cluster;

/// <summary>Leases between two nodes (two Core hosts, each with its own lease session) on one PostgreSQL database.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterLeaseTests : IAsyncLifetime
{
    private static readonly LeaseKey Key = new("test-scope", 42);
    private CoreTestHost nodeA = null!;
    private CoreTestHost nodeB = null!;

    private IClusterLeases A => nodeA.Services.GetRequiredService<IClusterLeases>();
    private IClusterLeases B => nodeB.Services.GetRequiredService<IClusterLeases>();

    private static Dictionary<string, string?> Node(string name) => new()
    {
        [ClusterOptions.NodeNameKey] = name,
        [ClusterOptions.KeepAliveIntervalKey] = "00:00:01",
    };

    public async Task InitializeAsync()
    {
        nodeA = await CoreTestHost.CreateAsync(DatabaseProvider.Postgres, Node("lease-a"));
        nodeB = await CoreTestHost.JoinAsync(nodeA, Node("lease-b"));
    }

    public async Task DisposeAsync()
    {
        await nodeB.DisposeAsync();
        await nodeA.DisposeAsync();
    }

    [Fact]
    public async Task A_lease_held_by_one_node_is_refused_to_the_other_and_visible_to_both_until_released()
    {
        A.IsClusterWide.Should().BeTrue();
        var held = await A.TryAcquireAsync(Key);

        held.Should().NotBeNull();
        (await B.TryAcquireAsync(Key)).Should().BeNull("node A holds it");
        (await A.TryAcquireAsync(Key)).Should().BeNull("a lease is not re-entrant, not even on the node that holds it");
        (await B.IsHeldAsync(Key)).Should().BeTrue();
        (await B.ListHeldAsync(Key.Scope)).Should().Equal(42);
        (await B.IsHeldAsync(new LeaseKey("test-scope", 43))).Should().BeFalse("another id is another lease");
        (await B.IsHeldAsync(new LeaseKey("other-scope", 42))).Should().BeFalse("another scope is another lease");

        await held!.DisposeAsync();

        (await B.IsHeldAsync(Key)).Should().BeFalse();
        await using var taken = await B.TryAcquireAsync(Key);
        taken.Should().NotBeNull("released, it is anybody's");
        (await A.ListHeldAsync(Key.Scope)).Should().Equal(42);
    }

    [Fact]
    public async Task A_node_waiting_for_a_lease_gets_it_once_the_other_node_releases_it()
    {
        var held = (await A.TryAcquireAsync(Key))!;
        var waiting = B.AcquireAsync(Key);
        await Task.Yield();
        waiting.IsCompleted.Should().BeFalse();

        await held.DisposeAsync();

        await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        lease.Key.Should().Be(Key);
        (await A.TryAcquireAsync(Key)).Should().BeNull();
    }

    [Fact]
    public async Task A_node_whose_lease_session_breaks_is_told_its_leases_are_lost_and_the_other_node_can_take_them()
    {
        var held = (await A.TryAcquireAsync(Key))!;
        var postgres = await PostgresServer.SharedAsync();

        // As a network cut or a killed node would: PostgreSQL ends the session, and with it its advisory locks.
        (await postgres.TerminateSessionsAsync(nodeA.PostgresDatabase!, "EmailSettings leases lease-a")).Should().Be(1);

        await using var taken = await B.AcquireAsync(Key).WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => held.IsLost, "node A's keep-alive notices the broken session and marks the lease lost");
        held.Lost.IsCancellationRequested.Should().BeTrue();
        await held.DisposeAsync();
        (await B.IsHeldAsync(Key)).Should().BeTrue("releasing a lost lease releases nothing of the new holder's");
        await using var again = await A.TryAcquireAsync(new LeaseKey("test-scope", 7));
        again.Should().NotBeNull("node A opens a new lease session for its next lease");
    }

    [Fact]
    public async Task A_lease_named_by_text_is_the_same_lease_on_every_node()
    {
        await using var held = await A.TryAcquireAsync(LeaseKey.ForName("oauth-refresh", "grant-7f3a"));

        (await B.TryAcquireAsync(LeaseKey.ForName("oauth-refresh", "grant-7f3a"))).Should().BeNull();
        await using var other = await B.TryAcquireAsync(LeaseKey.ForName("oauth-refresh", "grant-9c1d"));
        other.Should().NotBeNull();
    }
}

/// <summary>One node (SQLite): leases exclude holders in this process and are never lost.</summary>
public sealed class LocalLeaseTests
{
    [Fact]
    public async Task One_node_leases_exclude_other_holders_in_the_process_and_wake_a_waiter_on_release()
    {
        await using var host = await CoreTestHost.CreateAsync();
        var leases = host.Services.GetRequiredService<IClusterLeases>();
        var key = new LeaseKey("imap-idle", 5);

        var held = (await leases.TryAcquireAsync(key))!;
        var waiting = leases.AcquireAsync(key);

        leases.IsClusterWide.Should().BeFalse();
        (await leases.TryAcquireAsync(key)).Should().BeNull();
        (await leases.IsHeldAsync(key)).Should().BeTrue();
        (await leases.ListHeldAsync("imap-idle")).Should().Equal(5);
        waiting.IsCompleted.Should().BeFalse();
        held.Lost.CanBeCanceled.Should().BeTrue();

        await held.DisposeAsync();
        await using var next = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        next.IsLost.Should().BeFalse();
        (await leases.IsHeldAsync(key)).Should().BeTrue("the waiter holds it now");
    }
}
