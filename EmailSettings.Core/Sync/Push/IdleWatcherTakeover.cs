using EmailSettings.Core.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync.Push;

/// <summary>
/// Several nodes: every <see cref="ClusterOptions.IdleTakeoverInterval"/> this node looks for accounts that want push
/// but whose idle lease nobody holds (their node died or stopped, or gave them up) and starts watchers for them, up to
/// its <see cref="SyncOptions.MaxIdleConnections"/>. Only one node wins each account's lease; the others' attempts end
/// at once. One SQL query over <c>pg_locks</c> and one over the accounts per pass.
/// </summary>
internal sealed class IdleWatcherTakeover(
    IdleWatchers watchers,
    IClusterLeases leases,
    ClusterOptions cluster,
    ILogger<IdleWatcherTakeover> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(cluster.IdleTakeoverInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await PassAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>One pass: the number of watchers it started.</summary>
    internal async Task<int> PassAsync(CancellationToken ct)
    {
        try
        {
            var held = await leases.ListHeldAsync(ClusterWatcherOwnership.Scope, ct);
            var started = await watchers.ClaimUnwatchedAsync(held, ct);
            if (started > 0)
            {
                logger.LogInformation("Node {Node} took over the idle connections of {Count} accounts nobody watched", cluster.NodeName, started);
            }
            return started;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The database is away or a query failed: the accounts are polled meanwhile; the next pass tries again.
            logger.LogWarning(ex, "Node {Node} could not look for unwatched accounts", cluster.NodeName);
            return 0;
        }
    }
}
