using EmailSettings.Core.Sync.Push;
using Microsoft.Extensions.Logging;
using Quartz;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The scheduled sync of one account: reads which account from the job data and asks the coordinator, unless the
/// account is idle on INBOX (push keeps it current; the poll is the fallback while it is not).
/// </summary>
[DisallowConcurrentExecution]
public sealed class ImapSyncJob(SyncCoordinator coordinator, IdleWatchers watchers, ILogger<ImapSyncJob> logger) : IJob
{
    public const string TenantIdKey = "TenantId";
    public const string AccountIdKey = "AccountId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var tenantId = Guid.Parse(data.GetString(TenantIdKey)!);
        var accountId = data.GetInt(AccountIdKey);
        if (watchers.IsIdling(tenantId, accountId))
        {
            logger.LogDebug("Scheduled sync of account {AccountId} skipped: it is idle on INBOX", accountId);
            return;
        }
        SyncOutcome outcome;
        try
        {
            outcome = await coordinator.RunAsync(tenantId, accountId, SyncTrigger.Scheduled, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: the coordinator cancels the run itself; this firing just stops waiting for it.
            return;
        }
        if (outcome.Status is SyncOutcomeStatus.NotFound or SyncOutcomeStatus.NotConfigured)
        {
            // The account went away or lost its IMAP settings between scheduling and firing.
            await context.Scheduler.DeleteJob(context.JobDetail.Key, CancellationToken.None);
        }
    }
}
