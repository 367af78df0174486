using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.OAuth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace EmailSettings.Core.Sync;

/// <summary>
/// Keeps one Quartz job per account with complete IMAP settings: all of them at start-up, and the one account
/// whenever it is created, edited or deleted. Deleting an account also cancels its running sync and waits for it.
/// On PostgreSQL the jobs live in Quartz's clustered store, shared by every node: start-up keeps the stored triggers
/// (and their next fire times) instead of replacing them, and an edit on any node replaces the one job for all.
/// </summary>
/// <remarks>
/// Quartz is touched only once the host has started this service: a host that never starts (a test of another
/// feature, a migration tool) never builds a scheduler. Account changes before that are picked up by the
/// start-up pass, which lists every account.
/// </remarks>
public sealed class SyncScheduler(
    ISchedulerFactory schedulerFactory,
    SyncCoordinator coordinator,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    IOptions<SyncOptions> options,
    ILogger<SyncScheduler> logger) : IEmailAccountChangeListener, IOAuthProblemSink, IHostedService
{
    public const string JobGroup = "imap-sync";

    private volatile bool active;

    public static JobKey JobKeyFor(int accountId) => new($"account-{accountId}", JobGroup);

    public static TriggerKey TriggerKeyFor(int accountId) => new($"account-{accountId}", JobGroup);

    /// <summary>True once the start-up pass has scheduled every account (readiness).</summary>
    public bool IsStarted { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Active first, then list: a save that races with this pass is scheduled by one or the other.
        active = true;
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        // Jobs before accounts: an account is committed before its job is stored, so a job listed here whose account
        // is missing from the later list really lost its account (removed while no node ran); another node's fresh
        // job, stored after this listing, is never mistaken for one.
        var stored = await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(JobGroup), cancellationToken);
        List<(Guid TenantId, int Id)> accounts;
        // The one pass that acts for every tenant: each job it schedules then runs for its own account's tenant.
        await using (var db = await dbFactory.CreateForAllTenantsAsync(cancellationToken))
        {
            accounts = (await Schedulable(db).AsNoTracking()
                    .Select(a => new { a.TenantId, a.Id })
                    .ToListAsync(cancellationToken))
                .Select(a => (a.TenantId, a.Id)).ToList();
        }
        var kept = 0;
        foreach (var (tenantId, id) in accounts)
        {
            if (await KeepOrScheduleAsync(scheduler, tenantId, id, cancellationToken))
            {
                kept++;
            }
        }
        var wanted = accounts.Select(a => JobKeyFor(a.Id)).ToHashSet();
        foreach (var orphan in stored.Where(k => !wanted.Contains(k)))
        {
            await scheduler.DeleteJob(orphan, cancellationToken);
            logger.LogInformation("Removed the IMAP sync job {Job}: its account is gone or has no IMAP settings", orphan.Name);
        }
        IsStarted = true;
        logger.LogInformation("IMAP sync scheduled for {Count} accounts every {Interval} ({Kept} kept their next run from the stored schedule)",
            accounts.Count, options.Value.Interval, kept);
    }

    /// <summary>
    /// Start-up keeps a stored trigger (a restart on the clustered store must not move every account's next run to
    /// "now"); a stored trigger with another interval is rescheduled from its next fire time with the configured one;
    /// a missing one is stored with its first run now. True when the stored next fire time was kept.
    /// </summary>
    private async Task<bool> KeepOrScheduleAsync(IScheduler scheduler, Guid tenantId, int accountId, CancellationToken ct)
    {
        var interval = options.Value.Interval;
        if (await scheduler.GetTrigger(TriggerKeyFor(accountId), ct) is ISimpleTrigger stored
            && (await scheduler.GetJobDetail(JobKeyFor(accountId), ct))?.JobDataMap.GetString(ImapSyncJob.TenantIdKey) == tenantId.ToString())
        {
            if (stored.RepeatInterval == interval)
            {
                return true;
            }
            var next = stored.NextFireTimeUtc ?? DateTimeOffset.UtcNow;
            await scheduler.RescheduleJob(stored.Key, BuildTrigger(accountId, next), ct);
            logger.LogInformation("IMAP sync of account {AccountId} now runs every {Interval} (was {Old}), next at {Next:u}",
                accountId, interval, stored.RepeatInterval, next);
            return true;
        }
        // Replacing: a job without its trigger (or of another tenant) is made whole; two nodes starting together both
        // store "first run now", which is the same schedule.
        await scheduler.ScheduleJob(BuildJob(tenantId, accountId), BuildTrigger(accountId, null), ScheduleJobOptions.Replacing, ct);
        return false;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        active = false;
        IsStarted = false;
        await coordinator.CancelAllAsync().WaitAsync(cancellationToken);
    }

    public async Task AccountSavedAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        if (!active)
        {
            return;
        }
        bool configured;
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            configured = await Schedulable(db).AnyAsync(a => a.Id == accountId && a.TenantId == tenantId, ct);
        }
        if (configured)
        {
            await ScheduleAsync(tenantId, accountId, ct);
        }
        else
        {
            await UnscheduleAsync(tenantId, accountId, ct);
        }
    }

    public async Task AccountDeletedAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        if (active)
        {
            await UnscheduleAsync(tenantId, accountId, ct);
        }
        await coordinator.CancelAsync(tenantId, accountId);
    }

    /// <summary>
    /// A dead OAuth2 grant stops the account's scheduled syncs (no retry storm at the provider); the Reconnect that
    /// replaces the grant schedules them again.
    /// </summary>
    public async Task ReconnectNeededAsync(OAuthGrantProblem problem, CancellationToken ct)
    {
        if (active && problem.TargetKind == OAuthTargetKind.EmailAccount)
        {
            await UnscheduleAsync(problem.TenantId, problem.RecordId, ct);
            logger.LogInformation("Scheduled IMAP sync of account {AccountId} stopped until it is reconnected", problem.RecordId);
        }
    }

    public Task ReconnectedAsync(OAuthGrantProblem recovered, CancellationToken ct) =>
        recovered.TargetKind == OAuthTargetKind.EmailAccount ? AccountSavedAsync(recovered.TenantId, recovered.RecordId, ct) : Task.CompletedTask;

    /// <summary>Accounts with complete IMAP settings whose OAuth2 grant, if any, is not waiting for a Reconnect.</summary>
    private static IQueryable<EmailAccount> Schedulable(EmailSettingsDbContext db) =>
        db.EmailAccounts.Where(EmailAccount.ImapConfigured)
            .Where(a => !db.OAuthGrants.Any(g => g.EmailAccountId == a.Id && g.Status == OAuthGrantStatus.ReconnectNeeded));

    /// <summary>(Re)places the account's job; its first run is now, then every <see cref="SyncOptions.Interval"/>.</summary>
    internal async Task ScheduleAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        await scheduler.ScheduleJob(BuildJob(tenantId, accountId), BuildTrigger(accountId, null), ScheduleJobOptions.Replacing, ct);
        logger.LogDebug("Scheduled IMAP sync of account {AccountId}", accountId);
    }

    /// <summary>
    /// The account's job: never two of its runs at once anywhere in the cluster ([DisallowConcurrentExecution]), and
    /// re-run by another node when the node running it dies (RequestRecovery).
    /// </summary>
    private static IJobDetail BuildJob(Guid tenantId, int accountId) => JobBuilder.Create<ImapSyncJob>()
        .WithIdentity(JobKeyFor(accountId))
        .UsingJobData(ImapSyncJob.TenantIdKey, tenantId.ToString())
        .UsingJobData(ImapSyncJob.AccountIdKey, accountId)
        .RequestRecovery()
        .Build();

    /// <summary>Every <see cref="SyncOptions.Interval"/> from <paramref name="start"/> (now when null); missed runs are skipped, not caught up.</summary>
    private ITrigger BuildTrigger(int accountId, DateTimeOffset? start)
    {
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyFor(accountId))
            .ForJob(JobKeyFor(accountId))
            .WithSimpleSchedule(s => s.WithInterval(options.Value.Interval).RepeatForever()
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount));
        return (start is { } at ? trigger.StartAt(at) : trigger.StartNow()).Build();
    }

    /// <summary>Removes the account's job, but only when it syncs for <paramref name="tenantId"/>: another tenant's account id changes nothing.</summary>
    private async Task UnscheduleAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var job = await scheduler.GetJobDetail(JobKeyFor(accountId), ct);
        if (job is null)
        {
            return;
        }
        if (job.JobDataMap.GetString(ImapSyncJob.TenantIdKey) != tenantId.ToString())
        {
            logger.LogWarning("Refused to unschedule the IMAP sync of account {AccountId} for tenant {TenantId}, which does not own it", accountId, tenantId);
            return;
        }
        if (await scheduler.DeleteJob(job.Key, ct))
        {
            logger.LogDebug("Unscheduled IMAP sync of account {AccountId}", accountId);
        }
    }
}
