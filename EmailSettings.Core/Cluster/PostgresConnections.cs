using System.Globalization;
using EmailSettings.Core.Data;
using Npgsql;

namespace EmailSettings.Core.Cluster;

/// <summary>
/// The node's connections for cluster work: a pooled data source for short commands (NOTIFY, reading <c>pg_locks</c>)
/// and dedicated, unpooled sessions for what must live on one connection (the advisory locks, LISTEN). Each dedicated
/// session names itself in <c>application_name</c> ("EmailSettings leases node-a") so an operator sees who holds what.
/// </summary>
/// <remarks>
/// Dedicated sessions need a direct connection to PostgreSQL: a pooler in transaction mode (PgBouncer's default) would
/// hand the session to others between statements, and session locks and LISTEN would silently stop working.
/// </remarks>
internal sealed class PostgresConnections(DatabaseOptions database, ClusterOptions cluster) : IAsyncDisposable
{
    private readonly Lazy<NpgsqlDataSource> pooled = new(() => NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = $"EmailSettings {cluster.NodeName}" }.ConnectionString));

    public NpgsqlDataSource Pooled => pooled.Value;

    /// <summary>The application name of the node's dedicated session for <paramref name="purpose"/>.</summary>
    public string ApplicationName(string purpose) => $"EmailSettings {purpose} {cluster.NodeName}";

    /// <summary>
    /// Opens a dedicated session and asks the server to probe it with TCP keep-alives every
    /// <see cref="ClusterOptions.KeepAliveInterval"/>, so a node that vanishes from the network loses its session
    /// (and with it its locks) within about four intervals instead of the operating system's two hours.
    /// </summary>
    public async Task<NpgsqlConnection> OpenDedicatedAsync(string purpose, CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Pooling = false,
            ApplicationName = ApplicationName(purpose),
            TcpKeepAlive = true,
            Enlist = false,
        };
        var connection = new NpgsqlConnection(csb.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            var seconds = Math.Max(1, (int)cluster.KeepAliveInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SET tcp_keepalives_idle = {seconds}; SET tcp_keepalives_interval = {seconds}; SET tcp_keepalives_count = 3";
            await command.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (pooled.IsValueCreated)
        {
            await pooled.Value.DisposeAsync();
        }
    }
}
