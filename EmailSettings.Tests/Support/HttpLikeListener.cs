using System.Net.Sockets;
using System.Text;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Accepts TCP connections on a free loopback port, immediately answers like an HTTP server
/// ("HTTP/1.1 400 Bad Request ...") and closes. Use it to provoke client protocol errors
/// (wrong port / not a mail server).
/// </summary>
public sealed class HttpLikeListener : LoopbackListener
{
    /// <summary>The exact bytes sent to every client.</summary>
    public const string Response =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nBad Request";

    private static readonly byte[] ResponseBytes = Encoding.ASCII.GetBytes(Response);

    protected override async Task OnAcceptedAsync(TcpClient client, CancellationToken stopping)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                await stream.WriteAsync(ResponseBytes, stopping).ConfigureAwait(false);
                await stream.FlushAsync(stopping).ConfigureAwait(false);
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
        }
    }
}
