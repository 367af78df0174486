using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// Listens on a well-known port (465, 993) of a random 127.x.y.z address and forwards every connection
/// byte for byte to a port of 127.0.0.1. The testers choose TLS on connect by port number only, so this
/// puts the in-process servers behind the real ports without clashing with other test runs on the machine.
/// Binding ports below 1024 needs root, which the Dovecot fixture needs as well.
/// </summary>
public sealed class LoopbackForwarder : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> connections = [];
    private readonly Task acceptLoop;

    private LoopbackForwarder(TcpListener listener, int targetPort)
    {
        this.listener = listener;
        this.targetPort = targetPort;
        acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The 127.x.y.z address to connect to.</summary>
    public string Host => ((IPEndPoint)listener.LocalEndpoint).Address.ToString();

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public static LoopbackForwarder Start(int listenPort, int targetPort)
    {
        SocketException? last = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var address = new IPAddress([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);
            var candidate = new TcpListener(address, listenPort);
            try
            {
                candidate.Start();
                return new LoopbackForwarder(candidate, targetPort);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // Another run holds this address and port; pick another address.
                candidate.Dispose();
                last = ex;
            }
        }
        throw new InvalidOperationException($"No free 127.x.y.z address for port {listenPort}.", last);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        await Task.WhenAll(connections);
        stop.Dispose();
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
            connections.Add(ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        Task[] copies = [];
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, targetPort, stop.Token);
            var a = client.GetStream();
            var b = upstream.GetStream();
            copies = [a.CopyToAsync(b, stop.Token), b.CopyToAsync(a, stop.Token)];
            await Task.WhenAny(copies);
        }
        catch (Exception ex) when (IsHangUp(ex))
        {
            // The target refused or the forwarder stops: the connection simply ends, like a real one.
        }
        // When one side hangs up, close both; the other copy then ends too.
        client.Close();
        upstream.Close();
        try
        {
            await Task.WhenAll(copies);
        }
        catch (Exception ex) when (IsHangUp(ex))
        {
            // Expected: the copy stopped because its streams were just closed.
        }
    }

    private static bool IsHangUp(Exception ex) =>
        ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException;
}
