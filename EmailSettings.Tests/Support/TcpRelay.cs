using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a local port (Dovecot's), so a test can slow down or hold what a server sends:
/// <see cref="Hold"/> stops relaying in both directions until <see cref="Release"/> (nothing is lost, the bytes wait),
/// <see cref="BytesPerSecond"/> throttles the server's replies. A sync through it can be kept running as long as a test
/// needs, in a process the test cannot otherwise reach.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> connections = [];
    private readonly Task acceptLoop;
    private readonly Lock gate = new();
    private TaskCompletionSource open = NewOpen(opened: true);

    private TcpRelay(TcpListener listener, int targetPort)
    {
        this.listener = listener;
        this.targetPort = targetPort;
        acceptLoop = AcceptLoopAsync();
    }

    public string Host => ((IPEndPoint)listener.LocalEndpoint).Address.ToString();

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Server-to-client bytes per second, or null for full speed. Takes effect at once.</summary>
    public int? BytesPerSecond { get; set; }

    public static TcpRelay Start(int targetPort)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new TcpRelay(listener, targetPort);
    }

    /// <summary>Relays what <paramref name="startedListener"/> accepts (it is owned by the relay from now on).</summary>
    public static TcpRelay Start(TcpListener startedListener, int targetPort) => new(startedListener, targetPort);

    /// <summary>Stops relaying; connections stay open and their bytes wait.</summary>
    public void Hold()
    {
        lock (gate)
        {
            if (open.Task.IsCompleted)
            {
                open = NewOpen(opened: false);
            }
        }
    }

    public void Release()
    {
        lock (gate)
        {
            open.TrySetResult();
        }
    }

    private static TaskCompletionSource NewOpen(bool opened)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (opened)
        {
            source.SetResult();
        }
        return source;
    }

    private Task Opened
    {
        get
        {
            lock (gate)
            {
                return open.Task;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            connections.Add(RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        Task[] copies = [];
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, targetPort, stop.Token);
            copies = [CopyAsync(client.GetStream(), upstream.GetStream(), throttled: false), CopyAsync(upstream.GetStream(), client.GetStream(), throttled: true)];
            await Task.WhenAny(copies);
        }
        catch (Exception ex) when (IsHangUp(ex))
        {
            // The target refused or the relay stops: the connection ends, like a real one.
        }
        client.Close();
        upstream.Close();
        try
        {
            await Task.WhenAll(copies);
        }
        catch (Exception ex) when (IsHangUp(ex))
        {
            // Expected: the other direction stopped because its streams were just closed.
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool throttled)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var limit = throttled ? BytesPerSecond : null;
            var read = await from.ReadAsync(buffer.AsMemory(0, limit is { } bps ? Math.Clamp(bps / 10, 1, buffer.Length) : buffer.Length), stop.Token);
            if (read == 0)
            {
                return;
            }
            await Opened.WaitAsync(stop.Token);
            if (limit is { } rate)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)read / rate), stop.Token);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
        }
    }

    private static bool IsHangUp(Exception ex) =>
        ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        try
        {
            await Task.WhenAll(connections);
        }
        catch (Exception ex) when (IsHangUp(ex))
        {
            // Connections cut by the stop.
        }
        stop.Dispose();
    }
}
