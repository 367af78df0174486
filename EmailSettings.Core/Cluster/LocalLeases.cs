namespace EmailSettings.Core.Cluster;

/// <summary>
/// The leases of a single node (SQLite): every lease is this node's to take, and holders in this process exclude each
/// other. Never lost.
/// </summary>
internal sealed class LocalLeases : IClusterLeases
{
    private readonly Lock gate = new();
    private readonly Dictionary<LeaseKey, TaskCompletionSource> held = [];

    public bool IsClusterWide => false;

    public Task<ClusterLease?> TryAcquireAsync(LeaseKey key, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        lock (gate)
        {
            if (held.ContainsKey(key))
            {
                return Task.FromResult<ClusterLease?>(null);
            }
            held[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return Task.FromResult<ClusterLease?>(new ClusterLease(key, Release));
        }
    }

    public async Task<ClusterLease> AcquireAsync(LeaseKey key, CancellationToken ct = default)
    {
        while (true)
        {
            Task released;
            lock (gate)
            {
                if (!held.TryGetValue(key, out var holder))
                {
                    held[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return new ClusterLease(key, Release);
                }
                released = holder.Task;
            }
            await released.WaitAsync(ct);
        }
    }

    public Task<bool> IsHeldAsync(LeaseKey key, CancellationToken ct = default)
    {
        lock (gate)
        {
            return Task.FromResult(held.ContainsKey(key));
        }
    }

    public Task<IReadOnlySet<int>> ListHeldAsync(string scope, CancellationToken ct = default)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlySet<int>>(held.Keys.Where(k => k.Scope == scope).Select(k => k.Id).ToHashSet());
        }
    }

    private ValueTask Release(ClusterLease lease)
    {
        TaskCompletionSource? holder;
        lock (gate)
        {
            held.Remove(lease.Key, out holder);
        }
        holder?.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
