using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Accepts TCP connections on a free loopback port and never sends anything; the connections stay open
/// until the listener is disposed. Use it to provoke client timeouts (no greeting).
/// </summary>
public sealed class SilentListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = new();
    private readonly Task _acceptLoop;
    private int _acceptedCount;

    /// <summary>Starts listening on 127.0.0.1 with an OS-assigned port (ready when the constructor returns).</summary>
    public SilentListener()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Always "127.0.0.1".</summary>
    public string Host => "127.0.0.1";

    /// <summary>The listening port.</summary>
    public int Port { get; }

    /// <summary>Number of connections accepted so far.</summary>
    public int AcceptedCount => Volatile.Read(ref _acceptedCount);

    /// <summary>Stops listening and closes all held connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return; // disposing
            }
            catch (SocketException) when (_stop.IsCancellationRequested)
            {
                return; // listener stopped while disposing
            }
            catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
            {
                return; // listener stopped while disposing
            }

            _clients.Add(client);
            Interlocked.Increment(ref _acceptedCount);
        }
    }
}
