using System.Collections.Concurrent;
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
    private readonly ILogger<SyncProgressNotifier> logger;
    private readonly ISyncEventPublisher? publisher;
    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<int, Running> running = new();
    private Subscription[] subscribers = [];

    internal SyncProgressNotifier(ILogger<SyncProgressNotifier> logger, ISyncEventPublisher? publisher)
    {
        this.logger = logger;
        this.publisher = publisher;
    }

    /// <summary>Number of live subscriptions, to prove components unsubscribe.</summary>
    internal int SubscriberCount => Volatile.Read(ref subscribers).Length;

    /// <summary>Hears every event of <paramref name="tenantId"/>'s accounts until the returned handle is disposed.</summary>
    internal IDisposable Subscribe(Guid tenantId, Func<SyncProgress, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, tenantId, handler);
        lock (gate)
        {
            subscribers = [.. subscribers, subscription];
        }
        return subscription;
    }

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
    private async Task DeliverAsync(SyncProgress progress, bool remote)
    {
        if (progress.IsRunning)
        {
            running[progress.AccountId] = new Running(progress, remote);
        }
        else
        {
            running.TryRemove(progress.AccountId, out _);
        }

        foreach (var subscription in Volatile.Read(ref subscribers))
        {
            if (subscription.TenantId != progress.TenantId)
            {
                continue;
            }
            try
            {
                await subscription.Handler(progress);
            }
            catch (Exception ex)
            {
                // One broken circuit (disconnected, disposed renderer) must not stop the sync or the other pages.
                logger.LogWarning(ex, "A sync progress subscriber of tenant {TenantId} failed on {Kind} for account {AccountId}",
                    progress.TenantId, progress.Kind, progress.AccountId);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            subscribers = subscribers.Where(s => !ReferenceEquals(s, subscription)).ToArray();
        }
    }

    private sealed record Running(SyncProgress Progress, bool Remote);

    private sealed class Subscription(SyncProgressNotifier owner, Guid tenantId, Func<SyncProgress, Task> handler) : IDisposable
    {
        public Guid TenantId { get; } = tenantId;
        public Func<SyncProgress, Task> Handler { get; } = handler;

        public void Dispose() => owner.Remove(this);
    }
}
