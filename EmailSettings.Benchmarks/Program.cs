using System.Diagnostics;
using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Scenarios;

namespace EmailSettings.Benchmarks;

// Usage: dotnet run -c Release --project EmailSettings.Benchmarks -- <scenario> [more scenarios]
// Scenarios: sync-initial, sync-nochange, sync-mirror, page-render, timeout, circuit-memory, idle-latency, idle-memory,
//            sync-initial-pg, sync-nochange-pg, accounts-per-node (PostgreSQL, issue 15), all.
/// <summary>A class rather than top-level statements: the Portal's <c>Program</c> must stay the only one in scope.</summary>
public static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        string[] known = ["sync-initial", "sync-nochange", "sync-mirror", "page-render", "timeout", "circuit-memory", "idle-latency", "idle-memory", "sync-initial-pg", "sync-nochange-pg", "accounts-per-node"];
        var chosen = args.Length == 0 ? [] : args.Contains("all") ? known : args;
        var unknown = chosen.Except(known).ToList();
        if (chosen.Length == 0 || unknown.Count > 0)
        {
            Console.Error.WriteLine($"Unknown or missing scenario{(unknown.Count > 0 ? ": " + string.Join(", ", unknown) : "")}.");
            Console.Error.WriteLine($"Usage: dotnet run -c Release --project EmailSettings.Benchmarks -- <{string.Join("|", known)}|all> ...");
            return 2;
        }

        #if DEBUG
        Console.WriteLine("WARNING: Debug build; run with -c Release for figures worth recording.");
        #endif
        Console.WriteLine(MachineInfo.Describe());
        var report = new Report();
        var total = Stopwatch.StartNew();

        SyncBed? bed = null;
        SyncBed? postgresBed = null;
        try
        {
            foreach (var scenario in chosen)
            {
                switch (scenario)
                {
                    case "sync-initial":
                        bed ??= await SyncBed.StartAsync();
                        await SyncScenarios.InitialAsync(bed, report);
                        break;
                    case "sync-nochange":
                        bed ??= await SyncBed.StartAsync();
                        await SyncScenarios.NoChangeAsync(bed, report);
                        break;
                    case "sync-mirror":
                        await SyncScenarios.MirrorAsync(report);
                        break;
                    case "page-render":
                        await PageRenderScenario.RunAsync(report);
                        break;
                    case "timeout":
                        await TimeoutScenario.RunAsync(report);
                        break;
                    case "circuit-memory":
                        await CircuitMemoryScenario.RunAsync(report);
                        break;
                    case "sync-initial-pg":
                        postgresBed ??= await SyncBed.StartAsync(Core.Data.DatabaseProvider.Postgres);
                        await SyncScenarios.InitialAsync(postgresBed, report, "1b. Initial IMAP sync, PostgreSQL", [(10_000, 11)], warmup: 8);
                        break;
                    case "sync-nochange-pg":
                        postgresBed ??= await SyncBed.StartAsync(Core.Data.DatabaseProvider.Postgres);
                        await SyncScenarios.NoChangeRatioAsync(postgresBed, report, "2b. No-change sync, PostgreSQL", 10_000);
                        break;
                    case "accounts-per-node":
                        await AccountsPerNodeScenario.RunAsync(report);
                        break;
                    case "idle-latency":
                        await IdleScenarios.LatencyAsync(report);
                        break;
                    case "idle-memory":
                        await IdleScenarios.MemoryAsync(report);
                        break;
                }
            }
        }
        finally
        {
            if (bed is not null)
            {
                await bed.DisposeAsync();
            }
            if (postgresBed is not null)
            {
                await postgresBed.DisposeAsync();
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Finished in {total.Elapsed.TotalSeconds:0} s. {MachineInfo.Load()}");
        Console.WriteLine();
        Console.WriteLine(report.ToMarkdown());
        return report.Rows.All(r => r.Pass) ? 0 : 1;
    }
}
