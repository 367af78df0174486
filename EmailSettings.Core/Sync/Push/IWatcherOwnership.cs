namespace EmailSettings.Core.Sync.Push;

/// <summary>
/// Who may keep the idle connection of an account: the one seam between the watcher and the nodes of a cluster. On one
/// node the answer is always "this node" (<see cref="SingleNodeWatcherOwnership"/>); on several nodes an implementation
/// over a database lease grants each account to one node at a time and takes the grant back when that node stops
/// renewing it, without any change to the watcher.
/// </summary>
public interface IWatcherOwnership
{
    /// <summary>
    /// Claims the right to watch the account on this node. Null when another node holds it: the account is then
    /// watched there, and this node asks again the next time the account syncs well.
    /// </summary>
    ValueTask<IWatcherLease?> TryAcquireAsync(Guid tenantId, int accountId, CancellationToken ct);
}

/// <summary>The right to watch one account, held until disposed.</summary>
public interface IWatcherLease : IAsyncDisposable
{
    /// <summary>Cancelled when this node lost the right (the lease expired or another node took it over): the watcher stops.</summary>
    CancellationToken Lost { get; }
}

/// <summary>One node watches every account it has room for.</summary>
internal sealed class SingleNodeWatcherOwnership : IWatcherOwnership
{
    private static readonly ValueTask<IWatcherLease?> Granted = ValueTask.FromResult<IWatcherLease?>(new Lease());

    public ValueTask<IWatcherLease?> TryAcquireAsync(Guid tenantId, int accountId, CancellationToken ct) => Granted;

    /// <summary>Never lost and holding nothing, so one instance serves every account.</summary>
    private sealed class Lease : IWatcherLease
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
