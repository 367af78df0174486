using EmailSettings.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync.Push;

/// <summary>
/// Several nodes (PostgreSQL): an account's idle connection is kept by the node that holds its "imap-idle" lease, the
/// same advisory-lock lease that makes one sync per account (<see cref="IClusterLeases"/>). PostgreSQL ends the lease
/// with the node's session, so when a node dies its accounts are free at once and <see cref="IdleWatcherTakeover"/>
/// on another node claims them on its next pass. A lease lost while the node lives (its session broke) fires
/// <see cref="IWatcherLease.Lost"/> and the watcher stops, since another node may take the account over.
/// </summary>
internal sealed class ClusterWatcherOwnership(IClusterLeases leases, ILogger<ClusterWatcherOwnership> logger) : IWatcherOwnership
{
    public const string Scope = "imap-idle";

    public static LeaseKey KeyFor(int accountId) => new(Scope, accountId);

    public async ValueTask<IWatcherLease?> TryAcquireAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        try
        {
            return await leases.TryAcquireAsync(KeyFor(accountId), ct) is { } lease ? new Lease(lease) : null;
        }
        catch (LeaseUnavailableException ex)
        {
            // The database is away: the account is polled meanwhile, the next pass asks again.
            logger.LogWarning("The idle connection of account {AccountId} waits for the database: {Error}", accountId, ex.Message);
            return null;
        }
    }

    private sealed class Lease(ClusterLease lease) : IWatcherLease
    {
        public CancellationToken Lost => lease.Lost;

        public ValueTask DisposeAsync() => lease.DisposeAsync();
    }
}
