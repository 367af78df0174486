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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Active first, then list: a save that races with this pass is scheduled by one or the other (both replace).
        active = true;
        List<(Guid TenantId, int Id)> accounts;
        // The one pass that acts for every tenant: each job it schedules then runs for its own account's tenant.
        await using (var db = await dbFactory.CreateForAllTenantsAsync(cancellationToken))
        {
            accounts = (await Schedulable(db).AsNoTracking()
                    .Select(a => new { a.TenantId, a.Id })
                    .ToListAsync(cancellationToken))
                .Select(a => (a.TenantId, a.Id)).ToList();
        }
        foreach (var (tenantId, id) in accounts)
        {
            await ScheduleAsync(tenantId, id, cancellationToken);
        }
        logger.LogInformation("IMAP sync scheduled for {Count} accounts every {Interval}", accounts.Count, options.Value.Interval);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        active = false;
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
    private async Task ScheduleAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        var scheduler = await schedulerFactory.GetScheduler(ct);
        var job = JobBuilder.Create<ImapSyncJob>()
            .WithIdentity(JobKeyFor(accountId))
            .UsingJobData(ImapSyncJob.TenantIdKey, tenantId.ToString())
            .UsingJobData(ImapSyncJob.AccountIdKey, accountId)
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyFor(accountId))
            .ForJob(job)
            .StartNow()
            .WithSimpleSchedule(s => s.WithInterval(options.Value.Interval).RepeatForever()
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
        logger.LogDebug("Scheduled IMAP sync of account {AccountId}", accountId);
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
