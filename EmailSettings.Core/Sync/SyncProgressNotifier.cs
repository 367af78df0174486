using System.Collections.Concurrent;
using EmailSettings.Core.Common;
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
    private readonly ConcurrentDictionary<int, SyncProgress> running = new();
    private readonly TenantSubscribers<SyncProgress> subscribers = new(logger, "sync progress", p => p.TenantId);

    /// <summary>Number of live subscriptions, to prove components unsubscribe.</summary>
    internal int SubscriberCount => subscribers.Count;

    /// <summary>Hears every event of <paramref name="tenantId"/>'s accounts until the returned handle is disposed.</summary>
    internal IDisposable Subscribe(Guid tenantId, Func<SyncProgress, Task> handler) => subscribers.Subscribe(tenantId, handler);

    /// <summary>The latest event of every running sync of the tenant.</summary>
    internal IReadOnlyList<SyncProgress> GetRunning(Guid tenantId) =>
        running.Values.Where(p => p.TenantId == tenantId).OrderBy(p => p.AccountId).ToList();

    /// <summary>The latest event of the account's running sync, or null when it is not syncing.</summary>
    internal SyncProgress? GetRunning(Guid tenantId, int accountId) =>
        running.TryGetValue(accountId, out var p) && p.TenantId == tenantId ? p : null;

    internal bool IsSyncing(Guid tenantId, int accountId) => GetRunning(tenantId, accountId) is not null;

    /// <summary>Records the event and tells each subscriber of its tenant, one after another; a failing subscriber is logged and skipped.</summary>
    internal Task PublishAsync(SyncProgress progress)
    {
        if (progress.IsRunning)
        {
            running[progress.AccountId] = progress;
        }
        else
        {
            running.TryRemove(progress.AccountId, out _);
        }
        return subscribers.PublishAsync(progress);
    }
}
