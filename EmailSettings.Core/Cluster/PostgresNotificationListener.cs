using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EmailSettings.Core.Cluster;

/// <summary>Hears one PostgreSQL NOTIFY channel through the node's <see cref="PostgresNotificationListener"/>.</summary>
internal interface IPostgresNotificationHandler
{
    /// <summary>The channel, a plain lower-case identifier.</summary>
    string Channel { get; }

    /// <summary>One notification of <see cref="Channel"/>, from any node (this one included).</summary>
    Task HandleAsync(string payload, CancellationToken ct);

    /// <summary>
    /// NOTIFY stores nothing: what was sent while the node was not listening is gone. Called once LISTEN is in place
    /// after every (re)connect (<paramref name="reconnected"/> after the first), and at every keep-alive tick, to re-read
    /// from the database whatever the notifications would have said.
    /// </summary>
    Task CatchUpAsync(bool reconnected, CancellationToken ct);
}

/// <summary>
/// The node's one LISTEN session: a dedicated connection that listens on every handler's channel, pings the server
/// every <see cref="ClusterOptions.KeepAliveInterval"/> when nothing arrives, and after a drop reconnects (1 s, then
/// doubling to 30 s), listens again and lets each handler catch up. <see cref="IsListening"/> feeds the readiness check.
/// </summary>
internal sealed class PostgresNotificationListener(
    PostgresConnections connections,
    IEnumerable<IPostgresNotificationHandler> handlers,
    ClusterOptions cluster,
    ILogger<PostgresNotificationListener> logger) : IHostedService, IAsyncDisposable
{
    public const string Purpose = "listener";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly IPostgresNotificationHandler[] all = handlers.ToArray();
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? loop;
    private volatile bool isListening;
    private int sessions;
    private int disposed;

    /// <summary>True while the LISTEN session is connected and listening.</summary>
    public bool IsListening => isListening;

    /// <summary>The first wait before listening again after a drop (doubling up to 30 s); tests lengthen it.</summary>
    internal TimeSpan ReconnectDelay { get; set; } = FirstRetry;

    /// <summary>How many times a LISTEN session was established (1 after the first connect).</summary>
    public int Sessions => Volatile.Read(ref sessions);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            loop ??= Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Completes once the session listens (the next time, when it is reconnecting).</summary>
    public Task WaitUntilListeningAsync(CancellationToken ct)
    {
        lock (gate)
        {
            return isListening ? Task.CompletedTask : listening.Task.WaitAsync(ct);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref disposed) == 1)
        {
            return;
        }
        await stopping.CancelAsync();
        Task? running;
        lock (gate)
        {
            running = loop;
        }
        if (running is not null)
        {
            await running.WaitAsync(cancellationToken);
        }
    }

    /// <remarks>Registered as itself and as a hosted service; the container disposes it once per registration.</remarks>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            stopping.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var retry = ReconnectDelay;
        while (!ct.IsCancellationRequested)
        {
            var sessionsBefore = Sessions;
            try
            {
                await ListenAsync(ct);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or NpgsqlException or ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                SetListening(false);
                // A session that was established and then dropped starts the back-off afresh.
                retry = Sessions > sessionsBefore ? ReconnectDelay : retry;
                logger.LogWarning("The notification session of node {Node} failed ({Error}); listening again in {Delay} s",
                    cluster.NodeName, ex.Message, retry.TotalSeconds);
                try
                {
                    await Task.Delay(retry, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await using var connection = await connections.OpenDedicatedAsync(Purpose, ct);
        // Npgsql raises the event inside Wait; the handlers run afterwards, on other connections, never inside it.
        var received = Channel.CreateUnbounded<NpgsqlNotificationEventArgs>();
        connection.Notification += (_, e) => received.Writer.TryWrite(e);
        foreach (var channel in all.Select(h => h.Channel).Distinct())
        {
            await using var listen = connection.CreateCommand();
            listen.CommandText = $"LISTEN \"{channel}\"";
            await listen.ExecuteNonQueryAsync(ct);
        }
        var session = Interlocked.Increment(ref sessions);
        SetListening(true);
        logger.LogInformation("Node {Node} listens for notifications ({Session}. session)", cluster.NodeName, session);
        await CatchUpAsync(reconnected: session > 1, ct);

        try
        {
            while (true)
            {
                var notified = await connection.WaitAsync(cluster.KeepAliveInterval, ct);
                while (received.Reader.TryRead(out var notification))
                {
                    await DispatchAsync(notification, ct);
                }
                if (!notified)
                {
                    await using (var ping = connection.CreateCommand())
                    {
                        ping.CommandText = "SELECT 1";
                        ping.CommandTimeout = Math.Max(1, (int)cluster.KeepAliveInterval.TotalSeconds);
                        await ping.ExecuteScalarAsync(ct);
                    }
                    await CatchUpAsync(reconnected: false, ct);
                }
            }
        }
        finally
        {
            SetListening(false);
        }
    }

    private async Task DispatchAsync(NpgsqlNotificationEventArgs notification, CancellationToken ct)
    {
        foreach (var handler in all)
        {
            if (handler.Channel != notification.Channel)
            {
                continue;
            }
            try
            {
                await handler.HandleAsync(notification.Payload, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "A handler of notification channel {Channel} failed", notification.Channel);
            }
        }
    }

    private async Task CatchUpAsync(bool reconnected, CancellationToken ct)
    {
        foreach (var handler in all)
        {
            try
            {
                await handler.CatchUpAsync(reconnected, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Catching up on notification channel {Channel} failed", handler.Channel);
            }
        }
    }

    private void SetListening(bool value)
    {
        TaskCompletionSource? reached = null;
        lock (gate)
        {
            if (isListening == value)
            {
                return;
            }
            isListening = value;
            if (value)
            {
                reached = listening;
            }
            else
            {
                listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        reached?.TrySetResult();
    }
}
