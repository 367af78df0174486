using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync;

/// <summary>
/// A sync event as it travels between nodes on the <c>emailsettings_sync</c> NOTIFY channel: ids, counts and kinds
/// only (about 300 bytes, far below PostgreSQL's 8,000-byte limit). Never message content, never an error text
/// (it may quote a server), never a secret: a failure's text is read from the account by the receiving node.
/// </summary>
internal sealed record SyncEventMessage(
    [property: JsonPropertyName("o")] string Origin,
    [property: JsonPropertyName("n")] string Node,
    [property: JsonPropertyName("t")] Guid TenantId,
    [property: JsonPropertyName("a")] int AccountId,
    [property: JsonPropertyName("k")] SyncEventKind Kind,
    [property: JsonPropertyName("d")] int Done,
    [property: JsonPropertyName("c")] int Total,
    [property: JsonPropertyName("m")] int NewMessages,
    [property: JsonPropertyName("e")] SyncErrorKind? ErrorKind,
    [property: JsonPropertyName("at")] DateTime At)
{
    public const string Channel = "emailsettings_sync";

    /// <summary>PostgreSQL refuses payloads of 8,000 bytes or more.</summary>
    public const int MaxPayloadBytes = 7999;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public string ToPayload()
    {
        var payload = JsonSerializer.Serialize(this, Json);
        if (Encoding.UTF8.GetByteCount(payload) > MaxPayloadBytes)
        {
            throw new InvalidOperationException($"A sync event payload is {Encoding.UTF8.GetByteCount(payload)} bytes, more than NOTIFY carries.");
        }
        return payload;
    }

    public static SyncEventMessage? FromPayload(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<SyncEventMessage>(payload, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Sends this node's sync events to the other nodes with <c>pg_notify</c>.</summary>
internal sealed class PostgresSyncEventPublisher(
    PostgresConnections connections,
    ClusterOptions cluster,
    ILogger<PostgresSyncEventPublisher> logger) : ISyncEventPublisher
{
    public async Task PublishAsync(SyncProgress progress)
    {
        var message = new SyncEventMessage(cluster.InstanceId, cluster.NodeName, progress.TenantId, progress.AccountId, progress.Kind,
            progress.Done, progress.Total, progress.NewMessages, progress.ErrorKind, progress.At);
        try
        {
            await using var command = connections.Pooled.CreateCommand("SELECT pg_notify(@channel, @payload)");
            command.Parameters.AddWithValue("channel", SyncEventMessage.Channel);
            command.Parameters.AddWithValue("payload", message.ToPayload());
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or TimeoutException)
        {
            // The sync goes on; the other nodes' catch-up re-reads running syncs from the leases and the accounts.
            logger.LogWarning("Could not send the {Kind} event of account {AccountId} to the other nodes: {Error}",
                progress.Kind, progress.AccountId, ex.Message);
        }
    }
}

/// <summary>
/// Hears the other nodes' sync events and hands them to this node's <see cref="SyncProgressNotifier"/>, so its pages
/// show syncs running anywhere. Since NOTIFY stores nothing, it also catches up from the database after each
/// (re)connect and at every keep-alive tick: a sync whose lease is held elsewhere is running (started), and a sync
/// heard of whose lease is free has ended, with the outcome its account records (its node may have died silently).
/// </summary>
internal sealed class RemoteSyncEvents(
    SyncProgressNotifier notifier,
    PostgresLeases leases,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ClusterOptions cluster,
    TimeProvider clock,
    ILogger<RemoteSyncEvents> logger) : IPostgresNotificationHandler
{
    public string Channel => SyncEventMessage.Channel;

    public async Task HandleAsync(string payload, CancellationToken ct)
    {
        if (SyncEventMessage.FromPayload(payload) is not { } message)
        {
            logger.LogWarning("Ignored a malformed sync event on channel {Channel}", Channel);
            return;
        }
        if (message.Origin == cluster.InstanceId)
        {
            return;
        }
        string? error = null;
        if (message.Kind == SyncEventKind.Failed)
        {
            error = message.ErrorKind == SyncErrorKind.Cancelled
                ? "The sync was cancelled."
                : (await RecordedSyncOutcome.ReadAsync(dbFactory, message.TenantId, message.AccountId, ct))?.Error ?? "The sync failed.";
        }
        await notifier.DeliverRemoteAsync(new SyncProgress(message.TenantId, message.AccountId, message.Kind,
            message.Done, message.Total, message.NewMessages, message.ErrorKind, error, message.At));
    }

    public async Task CatchUpAsync(bool reconnected, CancellationToken ct)
    {
        var held = await leases.ListHeldAsync(SyncLeases.Scope, ct);
        var known = notifier.GetRunningElsewhere().Select(p => p.AccountId).ToHashSet();
        var ended = known.Where(id => !held.Contains(id)).ToList();
        var started = held.Where(id => !known.Contains(id) && !leases.HoldsHere(SyncLeases.For(id))).ToList();
        if (ended.Count == 0 && started.Count == 0)
        {
            return;
        }
        var records = await RecordedSyncOutcome.ReadManyAsync(dbFactory, [.. ended, .. started], ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var id in started)
        {
            if (records.TryGetValue(id, out var record))
            {
                logger.LogDebug("Catch-up: account {AccountId} is syncing on another node", id);
                await notifier.DeliverRemoteAsync(new SyncProgress(record.TenantId, id, SyncEventKind.Started, 0, 0, 0, null, null,
                    record.StartedAt ?? now));
            }
        }
        foreach (var id in ended)
        {
            var last = notifier.GetRunningElsewhere().FirstOrDefault(p => p.AccountId == id);
            if (last is null)
            {
                continue;
            }
            logger.LogInformation("Catch-up: the sync of account {AccountId} on another node has ended{Reconnected}",
                id, reconnected ? " while this node was not listening" : "");
            await notifier.DeliverRemoteAsync(records.TryGetValue(id, out var record)
                ? record.EndEvent(now)
                : new SyncProgress(last.TenantId, id, SyncEventKind.Failed, 0, 0, 0, SyncErrorKind.Cancelled, "The account was deleted.", now));
        }
    }
}
