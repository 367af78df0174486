using System.Diagnostics;
using EmailSettings.Benchmarks.Harness;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>
/// Issue 15: how long one node (the Core on PostgreSQL with Quartz's clustered store, started like the Portal) takes for
/// a scheduled round of no-change syncs of 1,000 accounts at the default <c>Sync:Concurrency</c>. Target: under 60 s.
/// </summary>
public static class AccountsPerNodeScenario
{
    private const int Accounts = 1_000;
    private const int MessagesEach = 5;

    public static async Task RunAsync(Report report)
    {
        await using var bed = await SyncBed.StartAsync(DatabaseProvider.Postgres, new Dictionary<string, string?>
        {
            ["Sync:Interval"] = "01:00:00",
            // Polling is measured: with push the idle accounts' polls are skipped (and 100 idle connections would
            // take Dovecot's default 100 login processes).
            ["Sync:MaxIdleConnections"] = "0",
        });
        var concurrency = bed.Host.Services.GetRequiredService<IOptions<SyncOptions>>().Value.Concurrency;
        Console.WriteLine($"accounts-per-node: {Accounts:N0} mailboxes of {MessagesEach} messages");
        var boxes = await bed.MailboxesAsync("node", Accounts, MessagesEach, parallel: 8);
        Console.WriteLine("accounts-per-node: first sync of each (not timed)");
        await Parallel.ForEachAsync(boxes, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (box, _) => await bed.SyncAsync(box, expectedNew: MessagesEach));

        // Baseline: the same 1,000 bare sessions (connect, login, EXAMINE, logout) at the same concurrency.
        var bare = await SideBySide.TimeAsync(() => Parallel.ForEachAsync(boxes, new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (box, _) =>
            {
                using var client = await bed.ConnectAsync(box);
                await client.DisconnectAsync(quit: true);
            }));

        // The node starts: the start-up pass stores every account's job with its first run now, Quartz fires them.
        Console.WriteLine("accounts-per-node: start-up round");
        var started = DateTime.UtcNow;
        await bed.Host.Host.StartAsync();
        var startupRound = await WaitForRoundAsync(bed, started);

        // A steady round: every account's trigger due at the same instant, as a round some interval after start-up.
        var scheduler = await bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await scheduler.PauseAll();
        var due = DateTimeOffset.UtcNow.AddSeconds(15);
        foreach (var box in boxes)
        {
            await scheduler.RescheduleJob(SyncScheduler.TriggerKeyFor(box.AccountId), TriggerBuilder.Create()
                .WithIdentity(SyncScheduler.TriggerKeyFor(box.AccountId))
                .ForJob(SyncScheduler.JobKeyFor(box.AccountId))
                .StartAt(due)
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
                .Build());
        }
        await scheduler.ResumeAll();
        Console.WriteLine($"accounts-per-node: steady round due at {due:HH:mm:ss} ({MachineInfo.Load()})");
        var steadyRound = await WaitForRoundAsync(bed, due.UtcDateTime);
        await bed.Host.Host.StopAsync();

        report.Add(new ResultRow(
            "6. Accounts per node", $"{Accounts:N0} no-change syncs, one scheduled round, PostgreSQL, Sync:Concurrency {concurrency}",
            $"{steadyRound.TotalSeconds:0.0} s ({steadyRound.TotalMilliseconds / Accounts * concurrency:0.0} ms per sync per worker)",
            $"{bare.TotalSeconds:0.0} s for {Accounts:N0} bare sessions at concurrency {concurrency}",
            Report.X(steadyRound / bare), "< 60 s", steadyRound < TimeSpan.FromSeconds(60),
            $"round at start-up, scheduling included: {startupRound.TotalSeconds:0.0} s"));
    }

    /// <summary>Waits until every account synced successfully after <paramref name="since"/>; returns the last success minus <paramref name="since"/>.</summary>
    private static async Task<TimeSpan> WaitForRoundAsync(SyncBed bed, DateTime since)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var db = await bed.Host.CreateDbContextAsync();
            var done = await db.EmailAccounts.CountAsync(a => a.LastSyncSucceededAt >= since);
            if (done == Accounts)
            {
                var last = await db.EmailAccounts.MaxAsync(a => a.LastSyncSucceededAt);
                return DateTime.SpecifyKind(last!.Value, DateTimeKind.Utc) - since;
            }
            var failed = await db.EmailAccounts.CountAsync(a => a.LastSyncFailedAt >= since);
            if (failed > 0 || deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                var error = await db.EmailAccounts.Where(a => a.LastSyncFailedAt >= since).Select(a => a.LastSyncError).FirstOrDefaultAsync();
                throw new InvalidOperationException($"The round did not complete: {done} succeeded, {failed} failed after {deadline.Elapsed.TotalSeconds:0} s (first error: {error}).");
            }
            await Task.Delay(200);
        }
    }
}
