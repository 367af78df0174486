using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The bridge between syncs (scheduled or manual) and open pages: carries every sync event to the subscribers
/// of the account's tenant, and remembers the syncs that are running so a page opened mid-sync shows them.
/// Its members are internal: they take a tenant id on trust, so pages reach them only through the tenant-scoped
/// <see cref="SyncService"/>.
/// </summary>
public sealed class SyncProgressNotifier(ILogger<SyncProgressNotifier> logger)
{
    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<int, SyncProgress> running = new();
    private Subscription[] subscribers = [];

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
        running.Values.Where(p => p.TenantId == tenantId).OrderBy(p => p.AccountId).ToList();

    /// <summary>The latest event of the account's running sync, or null when it is not syncing.</summary>
    internal SyncProgress? GetRunning(Guid tenantId, int accountId) =>
        running.TryGetValue(accountId, out var p) && p.TenantId == tenantId ? p : null;

    internal bool IsSyncing(Guid tenantId, int accountId) => GetRunning(tenantId, accountId) is not null;

    /// <summary>Records the event and tells each subscriber of its tenant, one after another; a failing subscriber is logged and skipped.</summary>
    internal async Task PublishAsync(SyncProgress progress)
    {
        if (progress.IsRunning)
        {
            running[progress.AccountId] = progress;
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

    private sealed class Subscription(SyncProgressNotifier owner, Guid tenantId, Func<SyncProgress, Task> handler) : IDisposable
    {
        public Guid TenantId { get; } = tenantId;
        public Func<SyncProgress, Task> Handler { get; } = handler;

        public void Dispose() => owner.Remove(this);
    }
}
