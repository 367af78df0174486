using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Tests.Support;

/// <summary>Finds free loopback TCP ports.</summary>
public static class FreePort
{
    // Ports already handed out in this process, so two calls in a row never return the same port
    // (the kernel may hand the same ephemeral port to two consecutive bind(0) calls).
    private static readonly ConcurrentDictionary<int, byte> Issued = new();

    /// <summary>
    /// Returns a TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it).
    /// Another process could still grab it before the caller binds it; that race is unavoidable.
    /// </summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port;
            try
            {
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            finally
            {
                listener.Stop();
            }

            if (Issued.TryAdd(port, 0))
            {
                return port;
            }
        }

        throw new InvalidOperationException("Could not find a free loopback TCP port that was not already issued.");
    }
}
