using System.Collections.Concurrent;
using System.Net.Sockets;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Accepts TCP connections on a free loopback port and never sends anything; the connections stay open
/// until the listener is disposed. Use it to provoke client timeouts (no greeting).
/// </summary>
public sealed class SilentListener : LoopbackListener
{
    private readonly ConcurrentBag<TcpClient> _clients = new();

    protected override Task OnAcceptedAsync(TcpClient client, CancellationToken stopping)
    {
        _clients.Add(client);
        return Task.CompletedTask;
    }

    protected override ValueTask OnStoppedAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
