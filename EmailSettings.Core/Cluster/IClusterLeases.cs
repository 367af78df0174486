using System.Text;

namespace EmailSettings.Core.Cluster;

/// <summary>
/// Names one thing that at most one holder may work on at a time, across every node: the sync of one account, the
/// IDLE watcher of one account, the token refresh of one grant. <see cref="Scope"/> is the kind of thing (one constant
/// per feature, e.g. "imap-sync"), <see cref="Id"/> which one.
/// </summary>
public readonly record struct LeaseKey
{
    public LeaseKey(string scope, int id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        Scope = scope;
        Id = id;
        ScopeCode = CodeOf(scope);
    }

    public string Scope { get; }

    public int Id { get; }

    /// <summary>
    /// The scope as a 31-bit number (FNV-1a of "EmailSettings/" + scope): the first half of the PostgreSQL advisory
    /// lock key, the id being the second. Stable across processes and versions.
    /// </summary>
    internal int ScopeCode { get; }

    /// <summary>A key for a thing named by text (a grant id, say): the text is hashed to the id.</summary>
    /// <remarks>Two names with the same 32-bit hash share one lease: they are serialised, never run at once; harmless.</remarks>
    public static LeaseKey ForName(string scope, string name) => new(scope, Fnv1a(name));

    public override string ToString() => $"{Scope}:{Id}";

    internal static int CodeOf(string scope) => Fnv1a("EmailSettings/" + scope) & 0x7FFFFFFF;

    private static int Fnv1a(string text)
    {
        unchecked
        {
            var hash = 2166136261u;
            foreach (var b in Encoding.UTF8.GetBytes(text))
            {
                hash = (hash ^ b) * 16777619u;
            }
            return (int)hash;
        }
    }
}

/// <summary>
/// Cluster-wide exclusive leases. On PostgreSQL a lease is an advisory lock held by this node's lease session, so it
/// excludes every holder on every node and ends by itself when the node dies; on SQLite (one node) it excludes the
/// other holders in this process ("always this node").
/// </summary>
/// <remarks>
/// Typical uses:
/// <code>
/// // Work that must run on one node only, or not now:
/// await using var lease = await leases.TryAcquireAsync(new LeaseKey("imap-idle", accountId), ct);
/// if (lease is null) return;                       // another holder has it
/// await WatchAsync(accountId, lease.Lost);         // stop when the lease is lost
///
/// // Work that must happen once, by whoever comes first (one token request per grant):
/// await using (await leases.AcquireAsync(LeaseKey.ForName("oauth-refresh", grantId), ct))
/// {
///     // re-read: the previous holder may have done it already
/// }
/// </code>
/// A lease is not re-entrant: asking again for a key this node holds gets null (or waits), like any other holder.
/// </remarks>
public interface IClusterLeases
{
    /// <summary>True when the leases are shared by every node of a cluster (PostgreSQL); false for one node (SQLite).</summary>
    bool IsClusterWide { get; }

    /// <summary>Takes the lease if nobody, on any node, holds it; null when it is held.</summary>
    /// <exception cref="LeaseUnavailableException">The lease database cannot be reached.</exception>
    Task<ClusterLease?> TryAcquireAsync(LeaseKey key, CancellationToken ct = default);

    /// <summary>Waits until nobody holds the lease, then takes it.</summary>
    /// <exception cref="LeaseUnavailableException">The lease database cannot be reached.</exception>
    Task<ClusterLease> AcquireAsync(LeaseKey key, CancellationToken ct = default);

    /// <summary>True when some holder, on any node, has the lease now.</summary>
    Task<bool> IsHeldAsync(LeaseKey key, CancellationToken ct = default);

    /// <summary>The ids of the <paramref name="scope"/>'s leases that are held now, on any node.</summary>
    Task<IReadOnlySet<int>> ListHeldAsync(string scope, CancellationToken ct = default);
}

/// <summary>
/// One held lease. Dispose it to release it. <see cref="Lost"/> is cancelled when the lease ends without being
/// released (the lease session to the database broke): whatever it guards must stop, because another node may now
/// take it.
/// </summary>
public sealed class ClusterLease : IAsyncDisposable
{
    private readonly Func<ClusterLease, ValueTask> release;
    private readonly CancellationTokenSource lost = new();
    private int released;

    internal ClusterLease(LeaseKey key, Func<ClusterLease, ValueTask> release)
    {
        Key = key;
        this.release = release;
    }

    public LeaseKey Key { get; }

    public CancellationToken Lost => lost.Token;

    public bool IsLost => lost.IsCancellationRequested;

    internal bool IsReleased => Volatile.Read(ref released) == 1;

    internal void MarkLost() => lost.Cancel();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            await release(this);
        }
    }
}

/// <summary>The lease database could not be reached (the leases of this node are lost as well).</summary>
public sealed class LeaseUnavailableException(string message, Exception inner) : Exception(message, inner);
