using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Second connections Test Connection opens to explain a failed handshake: what a port says first in plain text, and
/// whether it answers a TLS hello. They send nothing else, and a probe that fails only means "no explanation".
/// </summary>
internal static class ConnectionProbes
{
    /// <summary>The first line the server sends without being asked; null when it says nothing in time or the connection fails.</summary>
    public static async Task<string?> FirstLineAsync(IPEndPoint endpoint, CancellationToken token)
    {
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, token);
            var buffer = new byte[512];
            var length = 0;
            while (length < buffer.Length)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (Array.IndexOf(buffer, (byte)'\n', 0, length) >= 0)
                {
                    break;
                }
            }
            return length == 0 ? null : FirstLine(buffer.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // A probe only adds an explanation; when it fails the original error is reported as it is.
            return null;
        }
    }

    /// <summary>Starts a TLS handshake: true when the port answers with a certificate.</summary>
    public static async Task<bool> SpeaksTlsAsync(IPEndPoint endpoint, string host, CancellationToken token)
    {
        var sawCertificate = false;
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                // Refuse every certificate: the probe only needs to know that one was offered, and sends nothing.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    sawCertificate |= certificate is not null;
                    return false;
                },
            }, token);
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or SocketException or OperationCanceledException)
        {
            // Expected: the handshake is refused on purpose, or the port does not speak TLS.
        }
        return sawCertificate;
    }

    private static string FirstLine(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            if (b is (byte)'\r' or (byte)'\n' || text.Length >= 100)
            {
                break;
            }
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }
        return text.ToString().Trim();
    }
}
