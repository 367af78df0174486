using EmailSettings.Core.Cluster;
using Npgsql;

namespace EmailSettings.Tests.Support;

/// <summary>Who holds a cluster lease, as PostgreSQL sees it (pg_locks), independent of what the nodes believe.</summary>
public static class LeaseHolders
{
    /// <summary>The node name of the session that holds <paramref name="key"/> now, or null.</summary>
    public static async Task<string?> NodeHoldingAsync(string connectionString, LeaseKey key)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = @scope::oid AND l.objid = @id::oid " +
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())", connection);
        command.Parameters.AddWithValue("scope", (long)key.ScopeCode);
        command.Parameters.AddWithValue("id", (long)(uint)key.Id);
        // The lease session is named "EmailSettings leases <node>".
        return await command.ExecuteScalarAsync() is string application ? application.Split(' ')[^1] : null;
    }
}
