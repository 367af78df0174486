using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Sync;

/// <summary>What the page may do about syncing: start one now, and see which are running. Limited to the caller's tenant.</summary>
public sealed class SyncService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    SyncCoordinator coordinator,
    SyncProgressNotifier notifier)
{
    public const string NotConfiguredMessage = "Add the IMAP host, username and password (or an OAuth2 sign-in) to sync this account.";

    /// <summary>
    /// Syncs the account now, or joins its running sync, and returns how it went. Goes to the coordinator rather
    /// than Quartz's TriggerJob: a triggered job cannot hand back the outcome, and [DisallowConcurrentExecution]
    /// would queue a second run behind the running one instead of joining it. The scheduled job uses the same
    /// coordinator, so a click and a scheduled firing at the same moment still make one sync.
    /// </summary>
    public async Task<Result<SyncOutcome>> RequestSyncAsync(int accountId, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        bool? configured;
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            var account = db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == tenantId);
            configured = !await account.AnyAsync(ct) ? null : await account.AnyAsync(EmailAccount.ImapConfigured, ct);
        }
        if (configured is null)
        {
            return Result<SyncOutcome>.NotFound(EmailAccountService.NotFoundMessage);
        }
        if (configured == false)
        {
            return Result<SyncOutcome>.Invalid(nameof(EmailAccountInput.ImapHost), NotConfiguredMessage);
        }
        var outcome = await coordinator.RunAsync(tenantId, accountId, SyncTrigger.Manual, ct);
        return outcome.Status switch
        {
            SyncOutcomeStatus.NotFound => Result<SyncOutcome>.NotFound(EmailAccountService.NotFoundMessage),
            SyncOutcomeStatus.NotConfigured => Result<SyncOutcome>.Invalid(nameof(EmailAccountInput.ImapHost), NotConfiguredMessage),
            _ => Result<SyncOutcome>.Ok(outcome),
        };
    }

    /// <summary>The running syncs of the caller's tenant, with their latest progress.</summary>
    public IReadOnlyList<SyncProgress> GetRunning() => notifier.GetRunning(tenant.RequireTenantAdmin());

    /// <summary>The latest progress of the account's running sync in the caller's tenant, or null when it is not syncing.</summary>
    public SyncProgress? GetRunning(int accountId) => notifier.GetRunning(tenant.RequireTenantAdmin(), accountId);

    /// <summary>
    /// Hears every sync event of the caller's tenant (whoever started the sync) until the handle is disposed.
    /// Pages subscribe here, never to the notifier with a tenant id of their own choosing.
    /// </summary>
    public IDisposable Subscribe(Func<SyncProgress, Task> handler) => notifier.Subscribe(tenant.RequireTenantAdmin(), handler);
}
