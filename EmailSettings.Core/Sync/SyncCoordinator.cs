using EmailSettings.Core.Alerts;
using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The single-flight gate in front of <see cref="ImapSyncService"/>: one running sync per account, which every
/// further request for that account joins (same task, same outcome), whether it comes from the schedule or a click.
/// Keeps the running syncs with their cancellation so deleting an account or stopping the app can cancel them.
/// Its members are internal: they take a tenant id on trust, so only Core's tenant-checked callers
/// (<see cref="SyncService"/>, <see cref="ImapSyncJob"/>, <see cref="SyncScheduler"/>) reach them.
/// </summary>
public sealed class SyncCoordinator : IAsyncDisposable
{
    private readonly ImapSyncService engine;
    private readonly IDbContextFactory<EmailSettingsDbContext> dbFactory;
    private readonly IOptions<SyncOptions> options;
    private readonly TimeProvider clock;
    private readonly ILogger<SyncCoordinator> logger;
    private readonly IServiceProvider services;
    private ISyncOutcomeListener[]? listeners;
    private readonly CancellationToken stopping;
    private readonly CancellationTokenRegistration onStopping;
    private readonly Lock gate = new();
    private readonly Dictionary<int, RunningSync> running = [];
    private bool disposed;

    public SyncCoordinator(
        ImapSyncService engine,
        IDbContextFactory<EmailSettingsDbContext> dbFactory,
        IOptions<SyncOptions> options,
        TimeProvider clock,
        IHostApplicationLifetime lifetime,
        IServiceProvider services,
        ILogger<SyncCoordinator> logger)
    {
        this.services = services;
        this.engine = engine;
        this.dbFactory = dbFactory;
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        stopping = lifetime.ApplicationStopping;
        // Shutdown cancels running syncs; their committed batches stay, the next start resumes after them.
        onStopping = stopping.Register(static self => ((SyncCoordinator)self!).CancelAllNow(), this);
    }

    /// <summary>
    /// Runs a sync of the account, or joins the one already running. Scheduled requests skip while the account
    /// backs off after repeated failures, scheduled and push requests while its scheduled syncs are paused; manual
    /// requests always run. <paramref name="ct"/> only stops waiting: the shared run is cancelled by
    /// <see cref="CancelAsync"/> or shutdown, never by one impatient caller.
    /// </summary>
    internal async Task<SyncOutcome> RunAsync(Guid tenantId, int accountId, SyncTrigger trigger, CancellationToken ct)
    {
        if (trigger != SyncTrigger.Manual && !IsRunning(accountId) && await IsHeldAsync(tenantId, accountId, trigger, ct))
        {
            return SyncOutcome.Skipped;
        }

        Task<SyncOutcome> task;
        lock (gate)
        {
            if (disposed || stopping.IsCancellationRequested)
            {
                return SyncOutcome.Failure(SyncErrorKind.Cancelled, "The application is shutting down.");
            }
            if (running.TryGetValue(accountId, out var current))
            {
                if (current.TenantId != tenantId)
                {
                    return SyncOutcome.NotFound;
                }
                logger.LogInformation("{Trigger} sync request for account {AccountId} joins the running sync", trigger, accountId);
                task = current.Task;
            }
            else
            {
                // Not linked to another token and never disposed: a plain source holds no resources, and so a
                // late Cancel can never hit a disposed source.
                var run = new RunningSync(tenantId, new CancellationTokenSource());
                running[accountId] = run;
                // Task.Run: the body starts after this lock is released, and never on the caller's (circuit's) context.
                run.Task = Task.Run(() => RunOwnedAsync(run, accountId, trigger), CancellationToken.None);
                task = run.Task;
            }
        }
        return await task.WaitAsync(ct);
    }

    /// <summary>
    /// A sync that starts after this call: waits for a run already under way (it may have looked at the mailbox before
    /// the news the caller heard), then runs or joins one that started since. What a push needs: the server said
    /// "new mail", so a run that began earlier is not enough.
    /// </summary>
    internal async Task<SyncOutcome> RunAfterCurrentAsync(Guid tenantId, int accountId, SyncTrigger trigger, CancellationToken ct)
    {
        await WaitForRunningAsync(tenantId, accountId, ct);
        return await RunAsync(tenantId, accountId, trigger, ct);
    }

    /// <summary>Waits until the account's running sync (if any, and only for <paramref name="tenantId"/>) has ended.</summary>
    internal async Task WaitForRunningAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        Task<SyncOutcome>? current;
        lock (gate)
        {
            current = running.TryGetValue(accountId, out var run) && run.TenantId == tenantId ? run.Task : null;
        }
        if (current is not null)
        {
            await current.WaitAsync(ct);
        }
    }

    private bool IsRunning(int accountId)
    {
        lock (gate)
        {
            return running.ContainsKey(accountId);
        }
    }

    /// <summary>True while the account's sync runs but has been told to stop.</summary>
    internal bool IsCancellationRequested(int accountId)
    {
        lock (gate)
        {
            return running.TryGetValue(accountId, out var run) && run.Cts.IsCancellationRequested;
        }
    }

    /// <summary>
    /// Cancels the account's running sync, if any, and waits until it has stopped. Refuses (false) when the account
    /// is not syncing for <paramref name="tenantId"/>: another tenant's account id cancels nothing.
    /// </summary>
    internal async Task<bool> CancelAsync(Guid tenantId, int accountId)
    {
        RunningSync? run;
        lock (gate)
        {
            running.TryGetValue(accountId, out run);
        }
        if (run is null || run.TenantId != tenantId)
        {
            return false;
        }
        await run.Cts.CancelAsync();
        await run.Task;
        return true;
    }

    /// <summary>Cancels every running sync and waits for them: used on shutdown.</summary>
    internal Task CancelAllAsync() => Task.WhenAll(CancelAllNow());

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            disposed = true;
        }
        await onStopping.DisposeAsync();
        await CancelAllAsync();
    }

    private List<Task<SyncOutcome>> CancelAllNow()
    {
        RunningSync[] runs;
        lock (gate)
        {
            runs = [.. running.Values];
        }
        foreach (var run in runs)
        {
            run.Cts.Cancel();
        }
        return runs.Select(r => r.Task).ToList();
    }

    private async Task<SyncOutcome> RunOwnedAsync(RunningSync run, int accountId, SyncTrigger trigger)
    {
        try
        {
            logger.LogDebug("{Trigger} sync of account {AccountId} starts", trigger, accountId);
            var outcome = await engine.SyncAsync(run.TenantId, accountId, run.Cts.Token);
            await TellListenersAsync(run.TenantId, accountId, trigger, outcome, run.Cts.Token);
            return outcome;
        }
        catch (Exception ex)
        {
            // The engine records mail failures itself; this is a failure to even record (database gone, ...).
            logger.LogError(ex, "Sync of account {AccountId} could not run", accountId);
            return SyncOutcome.Failure(SyncErrorKind.Other, "The sync could not run. See the application log.");
        }
        finally
        {
            lock (gate)
            {
                running.Remove(accountId);
            }
        }
    }

    /// <summary>
    /// Tells the listeners (alerts, idle watchers) how the run ended, inside the run: the next run of the account
    /// waits, so they see its outcomes in order. Resolved on first use: the watchers need this coordinator themselves.
    /// </summary>
    private async Task TellListenersAsync(Guid tenantId, int accountId, SyncTrigger trigger, SyncOutcome outcome, CancellationToken ct)
    {
        listeners ??= services.GetServices<ISyncOutcomeListener>().ToArray();
        foreach (var listener in listeners)
        {
            try
            {
                await listener.SyncEndedAsync(tenantId, accountId, trigger, outcome, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Shutdown or the account's deletion: what the listener did not finish is not needed any more.
                logger.LogDebug("{Listener} stopped with the run of account {AccountId}", listener.GetType().Name, accountId);
            }
            catch (Exception ex)
            {
                // The sync itself is recorded; an alert or a watcher that could not react is logged, not the run's failure.
                logger.LogError(ex, "{Listener} could not handle the outcome of account {AccountId}'s sync", listener.GetType().Name, accountId);
            }
        }
    }

    /// <summary>
    /// True when a scheduled or push run should not start: scheduled syncs are paused (until an edit after the pause),
    /// or, for scheduled runs, repeated failures and the back-off not yet over, settings unchanged since.
    /// </summary>
    private async Task<bool> IsHeldAsync(Guid tenantId, int accountId, SyncTrigger trigger, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var state = await db.EmailAccounts.AsNoTracking()
            .Where(a => a.Id == accountId && a.TenantId == tenantId)
            .Select(a => new { a.ConsecutiveSyncFailures, a.LastSyncFailedAt, a.UpdatedAt, a.SyncPausedAt })
            .FirstOrDefaultAsync(ct);
        if (state is not null && AccountAlerts.PausedAt(state.SyncPausedAt, state.UpdatedAt) is { } pausedAt)
        {
            logger.LogInformation("{Trigger} sync of account {AccountId} skipped: scheduled syncs are paused since {PausedAt:u}", trigger, accountId, pausedAt);
            return true;
        }
        if (trigger != SyncTrigger.Scheduled || state?.LastSyncFailedAt is not { } failedAt)
        {
            return false;
        }
        var backoff = options.Value.BackoffFor(state.ConsecutiveSyncFailures);
        // Edited settings (a fixed password) deserve a try at once.
        var retryAt = failedAt + backoff;
        var backingOff = backoff > TimeSpan.Zero && state.UpdatedAt < failedAt && clock.GetUtcNow().UtcDateTime < retryAt;
        if (backingOff)
        {
            logger.LogInformation("Scheduled sync of account {AccountId} skipped after {Failures} failures; next try after {RetryAt:u}",
                accountId, state.ConsecutiveSyncFailures, retryAt);
        }
        return backingOff;
    }

    private sealed class RunningSync(Guid tenantId, CancellationTokenSource cts)
    {
        public Guid TenantId { get; } = tenantId;
        public CancellationTokenSource Cts { get; } = cts;
        public Task<SyncOutcome> Task { get; set; } = System.Threading.Tasks.Task.FromResult(SyncOutcome.Skipped);
    }
}
