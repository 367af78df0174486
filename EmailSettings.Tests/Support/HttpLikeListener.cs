using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Accepts TCP connections on a free loopback port, immediately answers like an HTTP server
/// ("HTTP/1.1 400 Bad Request ...") and closes. Use it to provoke client protocol errors
/// (wrong port / not a mail server).
/// </summary>
public sealed class HttpLikeListener : IAsyncDisposable
{
    /// <summary>The exact bytes sent to every client.</summary>
    public const string Response =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nBad Request";

    private static readonly byte[] ResponseBytes = Encoding.ASCII.GetBytes(Response);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _acceptedCount;

    /// <summary>Starts listening on 127.0.0.1 with an OS-assigned port (ready when the constructor returns).</summary>
    public HttpLikeListener()
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

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
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

            Interlocked.Increment(ref _acceptedCount);
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    await stream.WriteAsync(ResponseBytes, _stop.Token).ConfigureAwait(false);
                    await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                    client.Client.Shutdown(SocketShutdown.Send);
                }
                catch (IOException)
                {
                    // The client hung up before reading the response; that is its business, keep serving.
                }
                catch (SocketException)
                {
                    // The client hung up before reading the response; that is its business, keep serving.
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return; // disposing
                }
            }
        }
    }
}
