using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EmailSettings.Core.Cluster;

/// <summary>
/// Leases as PostgreSQL session advisory locks (<c>pg_try_advisory_lock(scope, id)</c>), all of one node on one
/// dedicated session ("EmailSettings leases &lt;node&gt;").
/// </summary>
/// <remarks>
/// <para>Why advisory locks rather than a lease row with an expiry: the lock belongs to the session, so PostgreSQL
/// itself ends it the moment the session ends. A node that is killed loses its leases at once (its socket closes); a
/// node that vanishes from the network loses them when the server's TCP keep-alive gives up (about four
/// <see cref="ClusterOptions.KeepAliveInterval"/>s, set on the session). No clock is involved, so clock skew or a long
/// pause (GC, VM freeze) cannot make two nodes believe they hold the same lease, and there is no heartbeat to write or
/// expired row to clean. Who holds what is visible to every node and operator in <c>pg_locks</c>.</para>
/// <para>One session carries every lease of the node, so a thousand leases cost one connection. The other side of
/// that: if the session breaks, every lease is lost at once; the keep-alive ping notices within one interval and
/// cancels each holder's <see cref="ClusterLease.Lost"/>. Releasing also sends <c>pg_notify('emailsettings_leases')</c>,
/// so a node waiting in <see cref="AcquireAsync"/> retries at once instead of at its next poll.</para>
/// </remarks>
internal sealed class PostgresLeases(PostgresConnections connections, ClusterOptions cluster, ILogger<PostgresLeases> logger)
    : IClusterLeases, IPostgresNotificationHandler, IAsyncDisposable
{
    public const string Purpose = "leases";
    public const string ReleasedChannel = "emailsettings_leases";
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim session = new(1, 1);
    private readonly Lock gate = new();
    private readonly Dictionary<LeaseKey, ClusterLease> held = [];
    private readonly Dictionary<LeaseKey, TaskCompletionSource> waiters = [];
    private readonly CancellationTokenSource disposing = new();
    private NpgsqlConnection? connection;
    private Task? keepAlive;
    private int disposed;

    public bool IsClusterWide => true;

    string IPostgresNotificationHandler.Channel => ReleasedChannel;

    /// <summary>The backend process id of the lease session, or null when it is not connected (for tests and logs).</summary>
    internal int? SessionProcessId => connection?.ProcessID;

    /// <summary>True when this node holds the lease (not another node).</summary>
    internal bool HoldsHere(LeaseKey key)
    {
        lock (gate)
        {
            return held.ContainsKey(key);
        }
    }

    public async Task<ClusterLease?> TryAcquireAsync(LeaseKey key, CancellationToken ct = default)
    {
        await session.WaitAsync(ct);
        try
        {
            lock (gate)
            {
                // Advisory locks are re-entrant per session; a lease is not: this node's second holder is refused too.
                if (held.ContainsKey(key))
                {
                    return null;
                }
            }
            var open = await ConnectedAsync(ct);
            bool taken;
            try
            {
                await using var command = open.CreateCommand();
                command.CommandText = "SELECT pg_try_advisory_lock(@scope, @id)";
                command.Parameters.AddWithValue("scope", key.ScopeCode);
                command.Parameters.AddWithValue("id", key.Id);
                taken = (bool)(await command.ExecuteScalarAsync(ct))!;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                LoseSession(ex);
                throw new LeaseUnavailableException($"The lease {key} could not be taken: {ex.Message}", ex);
            }
            if (!taken)
            {
                return null;
            }
            var lease = new ClusterLease(key, ReleaseAsync);
            lock (gate)
            {
                held[key] = lease;
                keepAlive ??= Task.Run(() => KeepAliveAsync(disposing.Token), CancellationToken.None);
            }
            return lease;
        }
        finally
        {
            session.Release();
        }
    }

    public async Task<ClusterLease> AcquireAsync(LeaseKey key, CancellationToken ct = default)
    {
        while (true)
        {
            var released = ReleaseSignal(key);
            if (await TryAcquireAsync(key, ct) is { } lease)
            {
                return lease;
            }
            // Woken by a release on any node (NOTIFY), or polls: a holder that died releases without notifying.
            await Task.WhenAny(released, Task.Delay(Poll, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    public async Task<bool> IsHeldAsync(LeaseKey key, CancellationToken ct = default)
    {
        if (HoldsHere(key))
        {
            return true;
        }
        return (await HeldIdsAsync(key.ScopeCode, key.Id, ct)).Count > 0;
    }

    public Task<IReadOnlySet<int>> ListHeldAsync(string scope, CancellationToken ct = default) =>
        HeldIdsAsync(LeaseKey.CodeOf(scope), id: null, ct);

    private async Task<IReadOnlySet<int>> HeldIdsAsync(int scopeCode, int? id, CancellationToken ct)
    {
        // Granted advisory locks of the two-int form (objsubid 2) in this database: classid is the scope, objid the id.
        await using var command = connections.Pooled.CreateCommand(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 " +
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) " +
            "AND classid = @scope::oid" + (id is null ? "" : " AND objid = @id::oid"));
        command.Parameters.AddWithValue("scope", (long)scopeCode);
        if (id is { } one)
        {
            command.Parameters.AddWithValue("id", (long)(uint)one);
        }
        var ids = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(unchecked((int)(uint)reader.GetInt64(0)));
        }
        return ids;
    }

    private async ValueTask ReleaseAsync(ClusterLease lease)
    {
        await session.WaitAsync(CancellationToken.None);
        try
        {
            lock (gate)
            {
                if (!held.TryGetValue(lease.Key, out var current) || !ReferenceEquals(current, lease))
                {
                    // Lost with its session: PostgreSQL released it already.
                    return;
                }
                held.Remove(lease.Key);
            }
            if (connection is not { } open)
            {
                return;
            }
            try
            {
                await using var command = open.CreateCommand();
                command.CommandText = "SELECT pg_advisory_unlock(@scope, @id), pg_notify(@channel, @key)";
                command.Parameters.AddWithValue("scope", lease.Key.ScopeCode);
                command.Parameters.AddWithValue("id", lease.Key.Id);
                command.Parameters.AddWithValue("channel", ReleasedChannel);
                command.Parameters.AddWithValue("key", Encode(lease.Key.ScopeCode, lease.Key.Id));
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                // The session is gone, and with it the lock.
                LoseSession(ex);
            }
        }
        finally
        {
            session.Release();
        }
        Signal(lease.Key);
    }

    /// <summary>Opens the lease session when there is none. Called with <see cref="session"/> held.</summary>
    private async Task<NpgsqlConnection> ConnectedAsync(CancellationToken ct)
    {
        if (connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }
        try
        {
            connection = await connections.OpenDedicatedAsync(Purpose, ct);
            logger.LogInformation("Node {Node} opened its lease session (backend {Pid})", cluster.NodeName, connection.ProcessID);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
        {
            throw new LeaseUnavailableException($"The lease session could not be opened: {ex.Message}", ex);
        }
    }

    private async Task KeepAliveAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(cluster.KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await session.WaitAsync(ct);
                try
                {
                    if (connection is not { } open)
                    {
                        continue;
                    }
                    await using var ping = open.CreateCommand();
                    ping.CommandText = "SELECT 1";
                    ping.CommandTimeout = Math.Max(1, (int)cluster.KeepAliveInterval.TotalSeconds);
                    await ping.ExecuteScalarAsync(ct);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                {
                    LoseSession(ex);
                }
                finally
                {
                    session.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>The session broke: PostgreSQL has ended its locks, so every holder here is told its lease is lost.</summary>
    private void LoseSession(Exception cause)
    {
        var broken = connection;
        connection = null;
        ClusterLease[] lost;
        lock (gate)
        {
            lost = [.. held.Values];
            held.Clear();
        }
        if (broken is not null || lost.Length > 0)
        {
            logger.LogWarning("The lease session of node {Node} broke ({Error}); {Count} leases are lost", cluster.NodeName, cause.Message, lost.Length);
        }
        broken?.Dispose();
        foreach (var lease in lost)
        {
            lease.MarkLost();
            Signal(lease.Key);
        }
    }

    Task IPostgresNotificationHandler.HandleAsync(string payload, CancellationToken ct)
    {
        if (Decode(payload) is { } key)
        {
            Signal(key);
        }
        return Task.CompletedTask;
    }

    Task IPostgresNotificationHandler.CatchUpAsync(bool reconnected, CancellationToken ct)
    {
        if (reconnected)
        {
            // Releases sent while the listener was away were missed: let every waiter try again.
            TaskCompletionSource[] all;
            lock (gate)
            {
                all = [.. waiters.Values];
                waiters.Clear();
            }
            foreach (var waiter in all)
            {
                waiter.TrySetResult();
            }
        }
        return Task.CompletedTask;
    }

    private Task ReleaseSignal(LeaseKey key)
    {
        lock (gate)
        {
            if (!waiters.TryGetValue(key, out var waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiters[key] = waiter;
            }
            return waiter.Task;
        }
    }

    private void Signal(LeaseKey key) => Signal(key.ScopeCode, key.Id);

    private void Signal((int ScopeCode, int Id) key) => Signal(key.ScopeCode, key.Id);

    private void Signal(int scopeCode, int id)
    {
        TaskCompletionSource[] woken;
        lock (gate)
        {
            var matching = waiters.Where(w => w.Key.ScopeCode == scopeCode && w.Key.Id == id).ToList();
            foreach (var w in matching)
            {
                waiters.Remove(w.Key);
            }
            woken = matching.Select(w => w.Value).ToArray();
        }
        foreach (var waiter in woken)
        {
            waiter.TrySetResult();
        }
    }

    private static string Encode(int scopeCode, int id) =>
        string.Create(CultureInfo.InvariantCulture, $"{scopeCode}:{id}");

    private static (int ScopeCode, int Id)? Decode(string payload)
    {
        var parts = payload.Split(':');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var scope)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? (scope, id)
            : null;
    }

    /// <remarks>Registered under three service types; the container disposes it once per registration.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        await disposing.CancelAsync();
        Task? running;
        lock (gate)
        {
            running = keepAlive;
        }
        if (running is not null)
        {
            await running;
        }
        await session.WaitAsync();
        try
        {
            // Closing the session releases every lock it holds.
            if (connection is not null)
            {
                await connection.DisposeAsync();
                connection = null;
            }
        }
        finally
        {
            session.Release();
        }
        disposing.Dispose();
    }
}
