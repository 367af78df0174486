using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sync.Push;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Quartz;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The scheduled sync of one account: reads which account from the job data and asks the coordinator, unless the
/// account is idle on INBOX and syncs nothing else (push keeps it current; the poll is the fallback while it is not).
/// An idle account that also syncs other folders is still polled, since IDLE only hears INBOX; the poll then costs
/// one EXAMINE for an unchanged INBOX.
/// [DisallowConcurrentExecution]: with the clustered store no two nodes run the same account's job at once; the job is
/// stored with RequestRecovery, so when the node running it dies another node runs it again.
/// </summary>
[DisallowConcurrentExecution]
public sealed class ImapSyncJob(
    SyncCoordinator coordinator, IdleWatchers watchers, IDbContextFactory<EmailSettingsDbContext> dbFactory, ClusterOptions cluster,
    ILogger<ImapSyncJob> logger) : IJob
{
    public const string TenantIdKey = "TenantId";
    public const string AccountIdKey = "AccountId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var tenantId = Guid.Parse(data.GetString(TenantIdKey)!);
        var accountId = data.GetInt(AccountIdKey);
        // One line per firing (Debug): counted per scheduled fire time across nodes by the two-node test.
        logger.LogDebug("Scheduled IMAP sync of account {AccountId} fired for {ScheduledFireTime:O} on node {Node}{Recovering}",
            accountId, context.ScheduledFireTimeUtc?.UtcDateTime, cluster.NodeName, context.Recovering ? " (recovering a firing of a node that stopped)" : "");
        if (watchers.IsIdling(tenantId, accountId) && await SyncsInboxOnlyAsync(tenantId, accountId, ct))
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
            // Shutdown: the coordinator cancels the run itself; this firing just stops waiting for it. Its committed
            // batches stay; the account's next firing, on any node, continues after them.
            return;
        }
        if (outcome.Status is SyncOutcomeStatus.NotFound or SyncOutcomeStatus.NotConfigured)
        {
            // The account went away or lost its IMAP settings between scheduling and firing.
            await context.Scheduler.DeleteJob(context.JobDetail.Key, CancellationToken.None);
        }
    }

    private async Task<bool> SyncsInboxOnlyAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        return !await db.SyncFolders.AnyAsync(f => f.EmailAccountId == accountId && f.TenantId == tenantId && f.Name != SyncFolder.Inbox, ct);
    }
}
