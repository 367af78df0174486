using System.Text.RegularExpressions;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EmailSettings.Tests.EndToEnd.Cluster;

/// <summary>
/// Two Portal processes (node-a, node-b) on one PostgreSQL database and one Dovecot, with Quartz checking in every
/// second and a node declared dead two seconds after a missed check-in. Node A starts first (it seeds the Development
/// demo tenant and users), then node B. Beside them a Core host on the same database, which never runs jobs, lets the
/// tests add accounts (their passwords protected with the shared key ring) and put jobs into the shared schedule.
/// </summary>
public sealed partial class TwoNodeCluster : IAsyncLifetime
{
    public const string NodeA = "node-a";
    public const string NodeB = "node-b";

    private readonly Dictionary<string, RunningPortal> nodes = [];
    private readonly List<RunningPortal> retired = [];
    private string folder = "";

    public DovecotServer Dovecot { get; private set; } = null!;

    /// <summary>The Core host beside the nodes; its schedule interval (2 s) is what jobs put in through it get.</summary>
    public SyncTestBed Bed { get; private set; } = null!;

    public RunningPortal this[string node] => nodes[node];

    public async Task InitializeAsync()
    {
        folder = TempFolder.Create("emailsettings-nodes");
        Dovecot = await DovecotServer.StartAsync();
        Bed = await SyncTestBed.CreateAsync(DatabaseProvider.Postgres, Dovecot, batchSize: 10, settings: new Dictionary<string, string?>
        {
            ["Sync:Interval"] = "00:00:02",
            [ClusterOptions.NodeNameKey] = "test-host",
        });
        await StartAsync(NodeA);
        await StartAsync(NodeB);
    }

    /// <summary>Starts (or starts again) a node and waits until it is ready.</summary>
    public async Task StartAsync(string node)
    {
        var nodeFolder = Path.Combine(folder, node);
        Directory.CreateDirectory(nodeFolder);
        if (nodes.Remove(node, out var earlier))
        {
            retired.Add(earlier);
        }
        nodes[node] = await PortalProcess.StartAsync(node, nodeFolder, new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__EmailSettings"] = Bed.Host.ConnectionString,
            ["Cluster__NodeName"] = node,
            ["Cluster__CheckinInterval"] = "00:00:01",
            ["Cluster__CheckinMisfireThreshold"] = "00:00:02",
            ["Cluster__KeepAliveInterval"] = "00:00:01",
            ["Sync__Interval"] = "01:00:00",
            ["Sync__BatchSize"] = "10",
            ["Sync__Timeout"] = "00:00:30",
            // No IDLE watchers: these tests count the IMAP sessions and firings of syncs (watchers across nodes are
            // IdleWatcherTakeoverTests' subject).
            ["Sync__MaxIdleConnections"] = "0",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
            ["Logging__LogLevel__Quartz"] = "Warning",
            ["Logging__LogLevel__EmailSettings.Core.Sync.ImapSyncJob"] = "Debug",
        });
    }

    /// <summary>An account of the Development demo tenant syncing a new Dovecot user, through <paramref name="relay"/> when given.</summary>
    public Task<(int AccountId, string User)> AddAccountAsync(TcpRelay? relay = null) =>
        Bed.AddAccountAsync(DemoTenant.Id, host: relay?.Host, port: relay?.Port);

    /// <summary>The account's job in the shared schedule: fires at once, then every 2 s, on whichever node takes it.</summary>
    public Task ScheduleAsync(int accountId) =>
        Bed.Host.Services.GetRequiredService<SyncScheduler>().ScheduleAsync(DemoTenant.Id, accountId, CancellationToken.None);

    public async Task UnscheduleAsync(int accountId)
    {
        var scheduler = await Bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var job = SyncScheduler.JobKeyFor(accountId);
        // A recovered firing runs on a one-shot trigger that Quartz deletes when the run ends; deleting the job while
        // that run ends fails ("Unable to unschedule trigger RECOVERING_JOBS..."), so its end is waited for first.
        await Eventually.HoldsAsync(async () => (await scheduler.GetTriggersOfJob(job)).All(t => t.Key.Group != SchedulerConstants.DefaultRecoveryGroup),
            "the recovered firing has ended", TimeSpan.FromSeconds(60));
        await scheduler.DeleteJob(job);
    }

    /// <summary>The node whose lease session holds the account's sync lease now, or null (read from pg_locks).</summary>
    public Task<string?> SyncLeaseHolderAsync(int accountId) => LeaseHolders.NodeHoldingAsync(Bed.Host.ConnectionString, SyncLeases.For(accountId));

    /// <summary>Every firing of the account's scheduled job the nodes logged: (scheduled fire time, node, recovering).</summary>
    public IReadOnlyList<(string FireTime, string Node, bool Recovering)> Firings(int accountId) =>
        nodes.Values.SelectMany(n => n.Output)
            .Select(line => FiringLine().Match(line))
            .Where(m => m.Success && m.Groups["account"].Value == accountId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(m => (m.Groups["time"].Value, m.Groups["node"].Value, m.Groups["recovering"].Success))
            .ToList();

    [GeneratedRegex(@"Scheduled IMAP sync of account (?<account>\d+) fired for (?<time>\S+) on node (?<node>\S+)(?<recovering> \(recovering)?")]
    private static partial Regex FiringLine();

    public async Task DisposeAsync()
    {
        foreach (var node in nodes.Values.Concat(retired))
        {
            await node.DisposeAsync();
        }
        if (Bed is not null)
        {
            await Bed.DisposeAsync();
        }
        if (Dovecot is not null)
        {
            await Dovecot.DisposeAsync();
        }
        TempFolder.Delete(folder);
    }
}
