using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using EmailSettings.Tests.Support;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace EmailSettings.Tests.Core.Sending;

/// <summary>
/// A real in-process SMTP server (plain, no AUTH) that refuses chosen recipients at RCPT TO, or every message after
/// DATA, with the replies real servers give. The shared SmtpTestServer accepts everything, so the refusal paths of
/// the sender are tested here.
/// </summary>
public sealed class RefusingSmtpServer : IAsyncDisposable
{
    public const string RecipientRefusal = "5.1.1 Recipient address rejected: User unknown in virtual mailbox table";
    public const string MessageRefusal = "5.7.1 Message rejected as spam by content filter";

    private readonly ConcurrentDictionary<string, bool> refused = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource stop = new();
    private Task? serverTask;
    private int mailFromCount;
    private int acceptedCount;

    private RefusingSmtpServer()
    {
    }

    public string Host => "127.0.0.1";
    public int Port { get; private set; }

    /// <summary>When true, every message is refused after DATA with 554 <see cref="MessageRefusal"/>.</summary>
    public bool RefuseAllMessages { get; set; }

    public int MailFromCount => Volatile.Read(ref mailFromCount);

    /// <summary>Messages accepted after DATA.</summary>
    public int AcceptedCount => Volatile.Read(ref acceptedCount);

    public void RefuseRecipient(string address) => refused[address] = true;

    public static async Task<RefusingSmtpServer> StartAsync()
    {
        ExternalServers.Starting("the refusing SMTP server");
        var server = new RefusingSmtpServer();
        var endpoint = new EndpointDefinitionBuilder()
            .Endpoint(new IPEndPoint(IPAddress.Loopback, 0))
            .IsSecure(false)
            .AllowUnsecureAuthentication(true)
            .AuthenticationRequired(false)
            .Build();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(endpoint).Build();

        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);
        var handler = new Handler(server);
        var services = new ServiceProvider();
        services.Add(listeners);
        services.Add((IMailboxFilter)handler);
        services.Add((IMessageStore)handler);

        server.serverTask = new SmtpServer.SmtpServer(options, services).StartAsync(server.stop.Token);
        var first = await Task.WhenAny(started.Task, server.serverTask).WaitAsync(TimeSpan.FromSeconds(10));
        if (first != started.Task)
        {
            await server.serverTask;
            throw new InvalidOperationException("The refusing SMTP server stopped during start-up.");
        }
        server.Port = await started.Task;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (serverTask is not null)
        {
            try
            {
                await serverTask.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // Expected: the server observes the cancellation requested above.
            }
        }
        stop.Dispose();
    }

    private sealed class Handler(RefusingSmtpServer owner) : IMailboxFilter, IMessageStore
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner.mailFromCount);
            return Task.FromResult(true);
        }

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (owner.refused.ContainsKey(to.AsAddress()))
            {
                throw new SmtpResponseException(new SmtpResponse(SmtpReplyCode.MailboxUnavailable, RecipientRefusal));
            }
            return Task.FromResult(true);
        }

        public Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (owner.RefuseAllMessages)
            {
                return Task.FromResult(new SmtpResponse(SmtpReplyCode.TransactionFailed, MessageRefusal));
            }
            Interlocked.Increment(ref owner.acceptedCount);
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
