using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Alerts;

/// <summary>
/// Reads the account after each sync outcome (the engine has recorded it) and decides what the admins hear: the
/// failure once past <c>Sync:AlertAfterFailures</c> or <c>Sync:AlertAfter</c>, the recovery once, and the pause of
/// scheduled syncs after <c>Sync:PauseAfter</c>. Runs inside the run of the account, so outcomes are judged in order.
/// </summary>
internal sealed class SyncAlertEvaluator(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    AccountAlerts alerts,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<SyncAlertEvaluator> logger) : ISyncOutcomeListener
{
    public async Task SyncEndedAsync(Guid tenantId, int accountId, SyncTrigger trigger, SyncOutcome outcome, CancellationToken ct)
    {
        // A dead OAuth grant is announced once by OAuthGrantAlerts, and its scheduled syncs stop: not a failing sync.
        var failed = outcome is { Status: SyncOutcomeStatus.Failed, ErrorKind: not (SyncErrorKind.Cancelled or SyncErrorKind.ReconnectNeeded) };
        if (!outcome.Succeeded && !failed)
        {
            return;
        }
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var accounts = db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == tenantId);
        var state = await accounts.AsNoTracking()
            .Select(a => new
            {
                a.DisplayName, a.ConsecutiveSyncFailures, a.FailingSince, a.LastSyncError, a.SyncPausedAt, a.SyncResumedAt, a.UpdatedAt,
                // Read with the rest, so that a success with nothing to clear (nearly every run) costs one query.
                Announced = db.AccountAlerts.Any(x => x.EmailAccountId == a.Id && x.TenantId == a.TenantId && x.Kind == AccountProblemKind.SyncFailing),
            })
            .FirstOrDefaultAsync(ct);
        if (state is null)
        {
            return;
        }
        if (outcome.Succeeded)
        {
            if (state.SyncPausedAt is not null || state.SyncResumedAt is not null)
            {
                await accounts.ExecuteUpdateAsync(s => s.SetProperty(a => a.SyncPausedAt, (DateTime?)null).SetProperty(a => a.SyncResumedAt, (DateTime?)null), ct);
            }
            if (state.Announced)
            {
                await alerts.ClearAsync(tenantId, accountId, AccountProblemKind.SyncFailing, ct);
            }
            return;
        }

        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var since = state.FailingSince ?? now;
        var reason = state.LastSyncError ?? outcome.Error ?? "The sync failed.";
        if (state.ConsecutiveSyncFailures >= settings.AlertAfterFailures || now - since >= settings.AlertAfter)
        {
            await alerts.RaiseAsync(tenantId, accountId, AccountProblemKind.SyncFailing, reason, since, ct);
        }

        var pausedAt = state.SyncPausedAt;
        var resumedAt = state.SyncResumedAt;
        if (pausedAt is { } p && (trigger == SyncTrigger.Manual || state.UpdatedAt > p))
        {
            // The admin looked at it (a manual sync, or an edit after the pause): scheduled syncs run again, and the
            // next pause needs another full PauseAfter of failures from here.
            resumedAt = trigger == SyncTrigger.Manual ? now : state.UpdatedAt;
            pausedAt = null;
            await accounts.ExecuteUpdateAsync(s => s.SetProperty(a => a.SyncPausedAt, (DateTime?)null).SetProperty(a => a.SyncResumedAt, resumedAt), ct);
            logger.LogInformation("Scheduled syncs of account {AccountId} of tenant {TenantId} resume after an admin's {Action}",
                accountId, tenantId, trigger == SyncTrigger.Manual ? "manual sync" : "edit");
        }
        var failingFrom = resumedAt is { } r && r > since ? r : since;
        if (pausedAt is null && trigger != SyncTrigger.Manual && now - failingFrom >= settings.PauseAfter)
        {
            await accounts.ExecuteUpdateAsync(s => s.SetProperty(a => a.SyncPausedAt, now), ct);
            logger.LogWarning("Scheduled syncs of account {AccountId} of tenant {TenantId} paused: failing since {FailingSince:u}", accountId, tenantId, since);
            await alerts.PublishPausedAsync(tenantId, accountId, state.DisplayName, since);
        }
    }
}
