using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync;

/// <summary>
/// One sync per account across the cluster (PostgreSQL only; one node keeps just the in-process
/// <see cref="SyncCoordinator"/>). The node that runs an account's sync holds its lease (<see cref="SyncLeases"/>) for
/// the whole run. A request on another node waits for that lease instead of opening a second IMAP session, then reads
/// the outcome the run recorded and reports it as its own; when the run recorded none (it was cancelled, or its node
/// died), the waiting node runs the sync itself, still holding the lease, and resumes after the committed batches.
/// </summary>
internal sealed class ClusterSyncGate(
    IClusterLeases leases,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ILogger<ClusterSyncGate> logger)
{
    /// <summary>Runs <paramref name="sync"/> under the account's lease, or reports the outcome of the run another node holds it for.</summary>
    /// <param name="ct">Cancels waiting, and the run (together with losing the lease).</param>
    public async Task<SyncOutcome> RunAsync(Guid tenantId, int accountId, SyncTrigger trigger,
        Func<CancellationToken, Task<SyncOutcome>> sync, CancellationToken ct)
    {
        var key = SyncLeases.For(accountId);
        try
        {
            // The recorded outcome and the first try for the lease go at once (two sessions, one round trip of
            // waiting). Read after the lease was refused, the record could already hold the end of the run that
            // refused it; read before, the run could end before the try. Either way such a race makes this node run
            // the sync itself afterwards, never report a wrong outcome.
            var reading = RecordedSyncOutcome.ReadAsync(dbFactory, tenantId, accountId, ct);
            var trying = leases.TryAcquireAsync(key, ct);
            RecordedSyncOutcome? before;
            try
            {
                before = await reading;
            }
            catch
            {
                if (await trying is { } taken)
                {
                    await taken.DisposeAsync();
                }
                throw;
            }
            var lease = await trying;
            if (before is null)
            {
                if (lease is not null)
                {
                    await lease.DisposeAsync();
                }
                return SyncOutcome.NotFound;
            }
            if (lease is null)
            {
                logger.LogInformation("{Trigger} sync request for account {AccountId} waits for the sync running on another node", trigger, accountId);
                lease = await leases.AcquireAsync(key, ct);
                var after = await ReadUnderLeaseAsync(lease, tenantId, accountId, ct);
                if (after is null)
                {
                    await lease.DisposeAsync();
                    return SyncOutcome.NotFound;
                }
                if (after.OutcomeSince(before) is { } theirs)
                {
                    await lease.DisposeAsync();
                    logger.LogInformation("{Trigger} sync request for account {AccountId} reports the outcome of the other node's sync: {Outcome}",
                        trigger, accountId, theirs.Status);
                    return theirs;
                }
                logger.LogInformation("The other node's sync of account {AccountId} ended without an outcome; it runs here", accountId);
            }
            await using (lease)
            {
                using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.Lost);
                var outcome = await sync(run.Token);
                if (lease.IsLost)
                {
                    logger.LogWarning("The sync of account {AccountId} stopped: this node lost its lease (its database session broke)", accountId);
                }
                return outcome;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return SyncOutcome.Failure(SyncErrorKind.Cancelled, "The sync was cancelled.");
        }
    }

    private async Task<RecordedSyncOutcome?> ReadUnderLeaseAsync(ClusterLease lease, Guid tenantId, int accountId, CancellationToken ct)
    {
        try
        {
            return await RecordedSyncOutcome.ReadAsync(dbFactory, tenantId, accountId, ct);
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }
    }
}
