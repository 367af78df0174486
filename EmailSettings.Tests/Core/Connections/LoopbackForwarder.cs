using System.Net;
using System.Net.Sockets;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// Listens on a well-known port (465, 993) of a random 127.x.y.z address and forwards every connection
/// byte for byte to a port of 127.0.0.1. The testers choose TLS on connect by port number only, so this
/// puts the in-process servers behind the real ports without clashing with other test runs on the machine.
/// Binding ports below 1024 needs root, which the Dovecot fixture needs as well.
/// </summary>
public sealed class LoopbackForwarder : IAsyncDisposable
{
    private readonly TcpRelay relay;

    private LoopbackForwarder(TcpRelay relay) => this.relay = relay;

    /// <summary>The 127.x.y.z address to connect to.</summary>
    public string Host => relay.Host;

    public int Port => relay.Port;

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
                return new LoopbackForwarder(TcpRelay.Start(candidate, targetPort));
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

    public ValueTask DisposeAsync() => relay.DisposeAsync();
}
