using System.Collections.Concurrent;
using EmailSettings.Core.Common;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync;

/// <summary>Carries this node's sync events to the other nodes (PostgreSQL: <c>pg_notify</c>). None on SQLite.</summary>
internal interface ISyncEventPublisher
{
    /// <summary>Sends the event to the other nodes; never throws (a lost event is re-read by their catch-up).</summary>
    Task PublishAsync(SyncProgress progress);
}

/// <summary>
/// The bridge between syncs (scheduled or manual) and open pages: carries every sync event to the subscribers
/// of the account's tenant, and remembers the syncs that are running so a page opened mid-sync shows them.
/// With several nodes it also sends this node's events to the others (<see cref="ISyncEventPublisher"/>) and hears
/// theirs (<see cref="DeliverRemoteAsync"/>), so a page shows a sync whichever node runs it.
/// Its members are internal: they take a tenant id on trust, so pages reach them only through the tenant-scoped
/// <see cref="SyncService"/>.
/// </summary>
public sealed class SyncProgressNotifier
{
    private readonly ISyncEventPublisher? publisher;
    private readonly ConcurrentDictionary<int, Running> running = new();
    private readonly TenantSubscribers<SyncProgress> subscribers;

    internal SyncProgressNotifier(ILogger<SyncProgressNotifier> logger, ISyncEventPublisher? publisher)
    {
        this.publisher = publisher;
        subscribers = new(logger, "sync progress", p => p.TenantId);
    }

    /// <summary>Number of live subscriptions, to prove components unsubscribe.</summary>
    internal int SubscriberCount => subscribers.Count;

    /// <summary>Hears every event of <paramref name="tenantId"/>'s accounts until the returned handle is disposed.</summary>
    internal IDisposable Subscribe(Guid tenantId, Func<SyncProgress, Task> handler) => subscribers.Subscribe(tenantId, handler);

    /// <summary>The latest event of every running sync of the tenant.</summary>
    internal IReadOnlyList<SyncProgress> GetRunning(Guid tenantId) =>
        running.Values.Select(r => r.Progress).Where(p => p.TenantId == tenantId).OrderBy(p => p.AccountId).ToList();

    /// <summary>The latest event of the account's running sync, or null when it is not syncing.</summary>
    internal SyncProgress? GetRunning(Guid tenantId, int accountId) =>
        running.TryGetValue(accountId, out var r) && r.Progress.TenantId == tenantId ? r.Progress : null;

    internal bool IsSyncing(Guid tenantId, int accountId) => GetRunning(tenantId, accountId) is not null;

    /// <summary>The running syncs this node heard of from other nodes (what a catch-up re-checks).</summary>
    internal IReadOnlyList<SyncProgress> GetRunningElsewhere() =>
        running.Values.Where(r => r.Remote).Select(r => r.Progress).ToList();

    /// <summary>
    /// An event of this node's own sync: sent to the other nodes first (a page there must not wait for a slow
    /// subscriber here), then to this node's subscribers.
    /// </summary>
    internal async Task PublishAsync(SyncProgress progress)
    {
        if (publisher is not null)
        {
            await publisher.PublishAsync(progress);
        }
        await DeliverAsync(progress, remote: false);
    }

    /// <summary>An event of another node's sync (heard through the database): recorded and told to this node's subscribers.</summary>
    internal Task DeliverRemoteAsync(SyncProgress progress) => DeliverAsync(progress, remote: true);

    /// <summary>Records the event and tells each subscriber of its tenant, one after another; a failing subscriber is logged and skipped.</summary>
    private Task DeliverAsync(SyncProgress progress, bool remote)
    {
        if (progress.IsRunning)
        {
            running[progress.AccountId] = new Running(progress, remote);
        }
        else
        {
            running.TryRemove(progress.AccountId, out _);
        }
        return subscribers.PublishAsync(progress);
    }

    private sealed record Running(SyncProgress Progress, bool Remote);
}
