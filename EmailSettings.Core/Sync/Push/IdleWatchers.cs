using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Secrets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Sync.Push;

/// <summary>
/// IMAP IDLE push: keeps one <see cref="IdleWatcher"/> per account whose last sync worked and whose "Push (IDLE)" is on,
/// up to <see cref="SyncOptions.MaxIdleConnections"/> on this node; the other accounts are polled on the schedule and
/// get a slot when one frees up. While an account idles its scheduled polls are skipped (<see cref="IsIdling"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A watcher starts after a sync of the account worked: at start-up for accounts whose last sync worked, then
/// whenever a sync works (the first sync of a new account, the sync that follows every save). So a wrong password
/// is never retried by the watcher, and a save restarts it with the new settings within one sync.</item>
/// <item>Saving an account stops its watcher at once (before the scheduler's sync of the save runs, see the
/// registration order); deleting it stops the watcher and hands the slot on.</item>
/// <item>Which node watches an account is <see cref="IWatcherOwnership"/>'s answer; this class only keeps the count.</item>
/// </list>
/// Members that take a tenant id are internal, as on the other engine singletons.
/// </remarks>
public sealed class IdleWatchers(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    SecretProtector secrets,
    MailCredentials credentials,
    SyncCoordinator coordinator,
    IWatcherOwnership ownership,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<IdleWatchers> logger) : IHostedService, IEmailAccountChangeListener, ISyncOutcomeListener, IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, IdleWatcher> watchers = [];
    private readonly SortedDictionary<int, Guid> waiting = [];
    private readonly HashSet<int> noIdle = [];
    // Accounts whose watcher failed to sign in or open INBOX: not started again by a takeover pass until a sync works.
    private readonly HashSet<int> needsSync = [];
    private bool active;
    private int started;

    internal IDbContextFactory<EmailSettingsDbContext> DbFactory => dbFactory;
    internal SecretProtector Secrets => secrets;
    internal MailCredentials Credentials => credentials;
    internal SyncCoordinator Coordinator => coordinator;
    internal IWatcherOwnership Ownership => ownership;
    internal SyncOptions Options => options.Value;
    internal TimeProvider Clock => clock;
    internal ILogger Logger => logger;

    /// <summary>True while the account's watcher is idle on INBOX: the server reports changes, so polls are not needed.</summary>
    internal bool IsIdling(Guid tenantId, int accountId)
    {
        lock (gate)
        {
            return watchers.TryGetValue(accountId, out var w) && w.TenantId == tenantId && w.State == WatcherState.Idling;
        }
    }

    /// <summary>The account's watcher (which one of this node's watchers, its state and sessions), or null when it has none.</summary>
    internal (int Number, WatcherState State, int Sessions)? Watcher(int accountId)
    {
        lock (gate)
        {
            return watchers.TryGetValue(accountId, out var w) ? (w.Number, w.State, w.Sessions) : null;
        }
    }

    /// <summary>True when the account waits for a free slot (over <see cref="SyncOptions.MaxIdleConnections"/>): it is polled.</summary>
    internal bool IsWaiting(int accountId)
    {
        lock (gate)
        {
            return waiting.ContainsKey(accountId);
        }
    }

    /// <summary>True when the account's server said it does not offer IDLE: polled until the account is saved again.</summary>
    internal bool IdleNotOffered(int accountId)
    {
        lock (gate)
        {
            return noIdle.Contains(accountId);
        }
    }

    /// <summary>Watchers on this node (connecting, idle or reconnecting).</summary>
    internal int Count
    {
        get
        {
            lock (gate)
            {
                return watchers.Count;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            active = true;
        }
        var accounts = await PushReadyAccountsAsync(cancellationToken);
        foreach (var (tenantId, id) in accounts)
        {
            TryStart(tenantId, id);
        }
        logger.LogInformation("IMAP IDLE: {Watching} of {Count} accounts watched (at most {Max} on this node), the others polled",
            Count, accounts.Count, Options.MaxIdleConnections);
    }

    /// <summary>
    /// Several nodes (<see cref="IdleWatcherTakeover"/>): starts watchers for the accounts that want push and whose idle
    /// lease is not in <paramref name="heldAnywhere"/> (no node watches them), as far as this node has room. Returns
    /// how many it started; a watcher that loses the race for the lease to another node ends at once.
    /// </summary>
    internal async Task<int> ClaimUnwatchedAsync(IReadOnlySet<int> heldAnywhere, CancellationToken ct)
    {
        var accounts = await PushReadyAccountsAsync(ct);
        var before = StartedCount;
        foreach (var (tenantId, id) in accounts)
        {
            bool skip;
            lock (gate)
            {
                skip = heldAnywhere.Contains(id) || needsSync.Contains(id);
            }
            if (!skip)
            {
                TryStart(tenantId, id);
            }
        }
        return StartedCount - before;
    }

    private int StartedCount
    {
        get
        {
            lock (gate)
            {
                return started;
            }
        }
    }

    /// <summary>
    /// Accounts that want push and whose last sync worked. Like the scheduler's start-up pass, for every tenant: each
    /// watcher then acts for its own account's tenant.
    /// </summary>
    private async Task<List<(Guid TenantId, int Id)>> PushReadyAccountsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForAllTenantsAsync(ct);
        return (await db.EmailAccounts.AsNoTracking()
                .Where(a => a.PushEnabled && a.ImapHost != null && a.ImapUsername != null && a.ImapPasswordProtected != null
                    && a.LastSyncSucceededAt != null && a.ConsecutiveSyncFailures == 0)
                .OrderBy(a => a.Id)
                .Select(a => new { a.TenantId, a.Id })
                .ToListAsync(ct))
            .Select(a => (a.TenantId, a.Id)).ToList();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await StopAllAsync().WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAllAsync();

    public async Task AccountSavedAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        IdleWatcher? watcher;
        lock (gate)
        {
            noIdle.Remove(accountId);
            needsSync.Remove(accountId);
            watcher = Take(tenantId, accountId);
        }
        if (watcher is null)
        {
            return;
        }
        // Stopped before the scheduler's sync of this save runs, so that sync is not skipped as "idling"; when it works
        // the watcher comes back with the saved settings. Its slot stays free for it unless push is off now.
        await watcher.StopAsync();
        if (!await WantsPushAsync(tenantId, accountId, ct))
        {
            PromoteWaiting();
        }
    }

    public async Task AccountDeletedAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        IdleWatcher? watcher;
        lock (gate)
        {
            noIdle.Remove(accountId);
            needsSync.Remove(accountId);
            if (waiting.TryGetValue(accountId, out var owner) && owner == tenantId)
            {
                waiting.Remove(accountId);
            }
            watcher = Take(tenantId, accountId);
        }
        if (watcher is not null)
        {
            await watcher.StopAsync();
            PromoteWaiting();
        }
    }

    async Task ISyncOutcomeListener.SyncEndedAsync(Guid tenantId, int accountId, SyncTrigger trigger, SyncOutcome outcome, CancellationToken ct)
    {
        if (!outcome.Succeeded)
        {
            return;
        }
        lock (gate)
        {
            needsSync.Remove(accountId);
            if (!active || noIdle.Contains(accountId))
            {
                return;
            }
            if (watchers.TryGetValue(accountId, out var watcher))
            {
                // A sync worked while the watcher waits to reconnect: the server is back, try now.
                if (watcher.TenantId == tenantId)
                {
                    watcher.Wake();
                }
                return;
            }
        }
        if (await WantsPushAsync(tenantId, accountId, ct))
        {
            TryStart(tenantId, accountId);
        }
    }

    /// <summary>The wait before reconnect attempt <paramref name="attempt"/> (1, 2, ...): doubling, capped, with jitter so many watchers do not reconnect in step.</summary>
    internal TimeSpan ReconnectDelay(int attempt)
    {
        var settings = Options;
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 20);
        var capped = Math.Min(settings.IdleReconnectDelay.TotalMilliseconds * Math.Pow(2, exponent), settings.IdleMaxReconnectDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() * 0.5));
    }

    /// <summary>Called by a watcher that ended: frees its slot for a waiting account.</summary>
    internal void OnEnded(IdleWatcher watcher, WatcherEnd end)
    {
        bool removed;
        lock (gate)
        {
            removed = watchers.TryGetValue(watcher.AccountId, out var current) && ReferenceEquals(current, watcher) && watchers.Remove(watcher.AccountId);
            if (removed && end == WatcherEnd.IdleNotOffered)
            {
                noIdle.Add(watcher.AccountId);
            }
            if (removed && end == WatcherEnd.NeedsWorkingSync)
            {
                needsSync.Add(watcher.AccountId);
            }
        }
        if (removed)
        {
            logger.LogInformation("Account {AccountId} is polled again ({End})", watcher.AccountId, end);
            PromoteWaiting();
        }
    }

    private void TryStart(Guid tenantId, int accountId)
    {
        lock (gate)
        {
            if (!active || watchers.ContainsKey(accountId) || noIdle.Contains(accountId))
            {
                return;
            }
            if (watchers.Count >= Options.MaxIdleConnections)
            {
                waiting[accountId] = tenantId;
                return;
            }
            waiting.Remove(accountId);
            var watcher = new IdleWatcher(this, tenantId, accountId, ++started);
            watchers[accountId] = watcher;
            watcher.Start();
        }
    }

    private void PromoteWaiting()
    {
        (int Id, Guid TenantId) next;
        lock (gate)
        {
            if (!active || waiting.Count == 0 || watchers.Count >= Options.MaxIdleConnections)
            {
                return;
            }
            var first = waiting.First();
            waiting.Remove(first.Key);
            next = (first.Key, first.Value);
        }
        TryStart(next.TenantId, next.Id);
    }

    /// <summary>Removes and returns the account's watcher, but only when it watches for <paramref name="tenantId"/>.</summary>
    private IdleWatcher? Take(Guid tenantId, int accountId)
    {
        if (!watchers.TryGetValue(accountId, out var watcher) || watcher.TenantId != tenantId)
        {
            return null;
        }
        watchers.Remove(accountId);
        return watcher;
    }

    private async Task<bool> WantsPushAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        return await db.EmailAccounts.AnyAsync(a => a.Id == accountId && a.TenantId == tenantId && a.PushEnabled
            && a.ImapHost != null && a.ImapUsername != null && a.ImapPasswordProtected != null, ct);
    }

    private async Task StopAllAsync()
    {
        IdleWatcher[] all;
        lock (gate)
        {
            active = false;
            all = [.. watchers.Values];
            watchers.Clear();
            waiting.Clear();
        }
        await Task.WhenAll(all.Select(w => w.StopAsync()));
    }
}
