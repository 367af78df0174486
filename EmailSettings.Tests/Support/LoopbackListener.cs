using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A TCP listener on 127.0.0.1 with an OS-assigned port (ready when the constructor returns) whose subclass decides
/// what each accepted connection gets. Disposing stops listening and waits for the accept loop.
/// </summary>
public abstract class LoopbackListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _acceptedCount;

    protected LoopbackListener()
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        await OnStoppedAsync().ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Handles one accepted connection; runs on the accept loop, so it should be quick.</summary>
    protected abstract Task OnAcceptedAsync(TcpClient client, CancellationToken stopping);

    /// <summary>Called once after the accept loop has ended.</summary>
    protected virtual ValueTask OnStoppedAsync() => ValueTask.CompletedTask;

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

            Interlocked.Increment(ref _acceptedCount);
            try
            {
                await OnAcceptedAsync(client, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return; // disposing
            }
        }
    }
}
