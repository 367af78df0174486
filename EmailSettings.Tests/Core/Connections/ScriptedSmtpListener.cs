using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// A loopback SMTP listener that behaves like servers the shared test server does not imitate: one that refuses
/// every client in its greeting, one that hangs up at once, and one that echoes the AUTH exchange back in its 535
/// refusal (Base64 as received and decoded), as careless servers do. Plain text only, AUTH PLAIN and LOGIN offered.
/// </summary>
public sealed class ScriptedSmtpListener : LoopbackListener
{
    private readonly ConcurrentBag<Task> sessions = [];
    private readonly ConcurrentBag<TcpClient> clients = [];
    private int authCommands;

    private ScriptedSmtpListener(string? greeting) => Greeting = greeting;

    /// <summary>The first line sent; null to close the connection without a word.</summary>
    public string? Greeting { get; }

    /// <summary>AUTH commands received.</summary>
    public int AuthCommands => Volatile.Read(ref authCommands);

    public static ScriptedSmtpListener EchoingAuth() => new("220 echo.example ESMTP");

    public static ScriptedSmtpListener Refusing(string greeting) => new(greeting);

    public static ScriptedSmtpListener HangingUp() => new(null);

    protected override Task OnAcceptedAsync(TcpClient client, CancellationToken stopping)
    {
        clients.Add(client);
        sessions.Add(ServeAsync(client, stopping));
        return Task.CompletedTask;
    }

    protected override async ValueTask OnStoppedAsync()
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
        await Task.WhenAll(sessions);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        try
        {
            if (Greeting is null)
            {
                client.Client.Shutdown(SocketShutdown.Both);
                client.Close();
                return;
            }
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync(Greeting);
            if (!Greeting.StartsWith("220", StringComparison.Ordinal))
            {
                return;
            }
            while (await reader.ReadLineAsync(stopping) is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-echo.example\r\n250 AUTH PLAIN LOGIN\r\n");
                        break;
                    case "AUTH":
                        Interlocked.Increment(ref authCommands);
                        var parts = line.Split(' ');
                        var response = parts.Length > 2 ? parts[2] : await ChallengeAsync(writer, reader, parts[1], stopping);
                        await writer.WriteLineAsync($"535 5.7.8 Authentication failed for {response} ({Decoded(response)})");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client hung up or the listener stops: the session is over either way.
        }
    }

    /// <summary>AUTH without an initial response: PLAIN asks once, LOGIN asks for the username and then the password.</summary>
    private static async Task<string> ChallengeAsync(StreamWriter writer, StreamReader reader, string mechanism, CancellationToken stopping)
    {
        if (mechanism.Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
        {
            await writer.WriteLineAsync("334 VXNlcm5hbWU6");
            await reader.ReadLineAsync(stopping);
            await writer.WriteLineAsync("334 UGFzc3dvcmQ6");
        }
        else
        {
            await writer.WriteLineAsync("334 ");
        }
        return await reader.ReadLineAsync(stopping) ?? "";
    }

    private static string Decoded(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Replace('\0', ' ');
        }
        catch (FormatException)
        {
            return "not Base64";
        }
    }
}
