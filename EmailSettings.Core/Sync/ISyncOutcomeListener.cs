namespace EmailSettings.Core.Sync;

/// <summary>
/// Told by <see cref="SyncCoordinator"/> how each run of an account ended, before the next run of that account can
/// start (so listeners see the outcomes of one account in order). Listeners must be quick: joined callers wait.
/// </summary>
internal interface ISyncOutcomeListener
{
    Task SyncEndedAsync(Guid tenantId, int accountId, SyncTrigger trigger, SyncOutcome outcome, CancellationToken ct);
}
