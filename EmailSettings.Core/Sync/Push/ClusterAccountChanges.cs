using System.Globalization;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.EmailAccounts;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync.Push;

/// <summary>
/// Several nodes: an account saved or deleted through one node stops its idle connection on whichever node keeps it,
/// at once, as on one node. The saving node sends <c>pg_notify('emailsettings_accounts', ...)</c> (the kind and ids,
/// nothing else); every other node hands it to its <see cref="IdleWatchers"/>. The save's own sync then starts the
/// watcher again (with the saved settings) on the node that runs it; a notification lost while a node was not listening
/// leaves at worst an old watcher running until its next reconnect, and an account left unwatched is taken over by
/// <see cref="IdleWatcherTakeover"/>.
/// </summary>
internal sealed class ClusterAccountChanges(
    PostgresConnections connections,
    IdleWatchers watchers,
    ClusterOptions cluster,
    ILogger<ClusterAccountChanges> logger) : IEmailAccountChangeListener, IPostgresNotificationHandler
{
    public const string ChannelName = "emailsettings_accounts";
    private const string Saved = "saved";
    private const string Deleted = "deleted";

    public string Channel => ChannelName;

    public Task AccountSavedAsync(Guid tenantId, int accountId, CancellationToken ct) => SendAsync(Saved, tenantId, accountId, ct);

    public Task AccountDeletedAsync(Guid tenantId, int accountId, CancellationToken ct) => SendAsync(Deleted, tenantId, accountId, ct);

    public async Task HandleAsync(string payload, CancellationToken ct)
    {
        var parts = payload.Split(':');
        if (parts.Length != 4 || !Guid.TryParse(parts[2], out var tenantId)
            || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var accountId)
            || parts[1] is not (Saved or Deleted))
        {
            logger.LogWarning("Ignored a malformed account change on channel {Channel}", Channel);
            return;
        }
        if (parts[0] == cluster.InstanceId)
        {
            // This node's own listeners were told directly.
            return;
        }
        if (parts[1] == Saved)
        {
            await watchers.AccountSavedAsync(tenantId, accountId, ct);
        }
        else
        {
            await watchers.AccountDeletedAsync(tenantId, accountId, ct);
        }
    }

    public Task CatchUpAsync(bool reconnected, CancellationToken ct) => Task.CompletedTask;

    private async Task SendAsync(string kind, Guid tenantId, int accountId, CancellationToken ct)
    {
        try
        {
            await using var command = connections.Pooled.CreateCommand("SELECT pg_notify(@channel, @payload)");
            command.Parameters.AddWithValue("channel", ChannelName);
            command.Parameters.AddWithValue("payload", string.Create(CultureInfo.InvariantCulture, $"{cluster.InstanceId}:{kind}:{tenantId}:{accountId}"));
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or TimeoutException)
        {
            // The save stands; another node's watcher of the account then runs on until it reconnects.
            logger.LogWarning("Could not tell the other nodes that account {AccountId} was {Kind}: {Error}", accountId, kind, ex.Message);
        }
    }
}
