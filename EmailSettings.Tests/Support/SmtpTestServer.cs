using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace EmailSettings.Tests.Support;

/// <summary>
/// An in-process SMTP server (SmtpServer package, v11) with three loopback endpoints that records
/// everything it receives. AUTH PLAIN and LOGIN are checked against <see cref="AddUser"/>; wrong
/// credentials get "535". AUTH is not required to send (unauthenticated messages are recorded with
/// <see cref="SmtpReceivedMessage.AuthenticatedUser"/> = null).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="StartTlsPort"/>: plain connect, STARTTLS offered; AUTH is only offered/accepted
/// after STARTTLS (AllowUnsecureAuthentication = false).</item>
/// <item><see cref="TlsPort"/>: TLS on connect (implicit TLS); AUTH allowed.</item>
/// <item><see cref="PlainPort"/>: no TLS at all (STARTTLS not offered); AUTH allowed in plain text.</item>
/// </list>
/// Ports are bound on 127.0.0.1 port 0 and read back from the listener, so there is no port race.
/// </remarks>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, string> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SmtpReceivedMessage> _messages = new();
    private readonly ConcurrentQueue<SmtpAuthenticationAttempt> _attempts = new();
    private readonly ConcurrentQueue<string> _mailFrom = new();
    private readonly ConcurrentDictionary<IEndpointDefinition, int> _ports = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _serverTask;
    private int _mailFromCount;
    private bool _disposed;

    private SmtpTestServer(X509Certificate2 certificate)
    {
        Certificate = certificate;
        CertificateSha256 = TestCertificates.Sha256Fingerprint(certificate);
    }

    /// <summary>Always "127.0.0.1".</summary>
    public string Host => "127.0.0.1";

    /// <summary>Plain connect with STARTTLS offered (AUTH only after STARTTLS). MailKit: SecureSocketOptions.StartTls.</summary>
    public int StartTlsPort { get; private set; }

    /// <summary>TLS on connect. MailKit: SecureSocketOptions.SslOnConnect.</summary>
    public int TlsPort { get; private set; }

    /// <summary>No TLS, STARTTLS not offered, AUTH allowed in plain. MailKit: SecureSocketOptions.None.</summary>
    public int PlainPort { get; private set; }

    /// <summary>The server certificate (<see cref="TestCertificates.SharedLocalhost"/> unless one was passed in; not disposed by this class).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 fingerprint of <see cref="Certificate"/>, uppercase hex without separators.</summary>
    public string CertificateSha256 { get; }

    /// <summary>Messages accepted after DATA, in arrival order (snapshot).</summary>
    public IReadOnlyList<SmtpReceivedMessage> ReceivedMessages => _messages.ToArray();

    /// <summary>AUTH attempts in order (snapshot). Passwords are never recorded.</summary>
    public IReadOnlyList<SmtpAuthenticationAttempt> AuthenticationAttempts => _attempts.ToArray();

    /// <summary>Envelope senders of every MAIL FROM command seen, in order (snapshot).</summary>
    public IReadOnlyList<string> MailFromAddresses => _mailFrom.ToArray();

    /// <summary>Number of MAIL FROM commands seen (0 means the client never started a transaction).</summary>
    public int MailFromCount => Volatile.Read(ref _mailFromCount);

    /// <summary>Starts all three endpoints and returns once they accept connections.</summary>
    public static async Task<SmtpTestServer> StartAsync(X509Certificate2? certificate = null, CancellationToken ct = default)
    {
        ExternalServers.Starting("the SMTP test server");
        var server = new SmtpTestServer(certificate ?? TestCertificates.SharedLocalhost);
        try
        {
            await server.StartCoreAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds or replaces a user allowed to AUTH (PLAIN or LOGIN).</summary>
    public void AddUser(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        _users[user] = password;
    }

    /// <summary>Forgets all recorded messages, MAIL FROM commands and AUTH attempts (users stay).</summary>
    public void ClearRecords()
    {
        _messages.Clear();
        _attempts.Clear();
        _mailFrom.Clear();
        Interlocked.Exchange(ref _mailFromCount, 0);
    }

    /// <summary>Cancels the server, waits for it to stop and releases the ports.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_serverTask is not null)
            {
                try
                {
                    await _serverTask.WaitAsync(StopTimeout).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Expected: the server task observes the cancellation we just requested.
                }
            }
        }
        finally
        {
            _stop.Dispose();
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var loopbackAnyPort = new IPEndPoint(IPAddress.Loopback, 0);

        var startTls = new EndpointDefinitionBuilder()
            .Endpoint(loopbackAnyPort)
            .IsSecure(false)
            .Certificate(Certificate)
            .AllowUnsecureAuthentication(false)
            .AuthenticationRequired(false)
            .Build();
        var tls = new EndpointDefinitionBuilder()
            .Endpoint(loopbackAnyPort)
            .IsSecure(true)
            .Certificate(Certificate)
            .AllowUnsecureAuthentication(false)
            .AuthenticationRequired(false)
            .Build();
        var plain = new EndpointDefinitionBuilder()
            .Endpoint(loopbackAnyPort)
            .IsSecure(false) // no Certificate => STARTTLS is not advertised
            .AllowUnsecureAuthentication(true)
            .AuthenticationRequired(false)
            .Build();

        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(startTls)
            .Endpoint(tls)
            .Endpoint(plain)
            .Build();

        var started = new[] { startTls, tls, plain }.ToDictionary(
            d => d,
            _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        var listenerFactory = new EndpointListenerFactory();
        listenerFactory.EndpointStarted += (_, e) =>
        {
            var port = ((IPEndPoint)e.LocalEndPoint).Port;
            _ports[e.EndpointDefinition] = port;
            if (started.TryGetValue(e.EndpointDefinition, out var tcs))
            {
                tcs.TrySetResult(port);
            }
        };

        var recorder = new Recorder(this);
        var services = new ServiceProvider();
        services.Add(listenerFactory);
        services.Add((IUserAuthenticator)recorder);
        services.Add((IMailboxFilter)recorder);
        services.Add((IMessageStore)recorder);

        var server = new SmtpServer.SmtpServer(options, services);
        _serverTask = server.StartAsync(_stop.Token);

        // The listeners are bound inside StartAsync; EndpointStarted fires right after TcpListener.Start(),
        // so once all three completed the ports accept connections.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(StartTimeout);
        var allStarted = Task.WhenAll(started.Values.Select(t => t.Task));
        var finished = await Task.WhenAny(allStarted, _serverTask, Task.Delay(Timeout.Infinite, deadline.Token)).ConfigureAwait(false);
        if (finished == _serverTask)
        {
            await _serverTask.ConfigureAwait(false); // surfaces the start-up exception
            throw new InvalidOperationException("The SMTP server stopped during start-up.");
        }

        if (finished != allStarted)
        {
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"The SMTP server endpoints did not start within {StartTimeout.TotalSeconds:0} s.");
        }

        StartTlsPort = started[startTls].Task.Result;
        TlsPort = started[tls].Task.Result;
        PlainPort = started[plain].Task.Result;
    }

    private int PortOf(ISessionContext context) =>
        _ports.TryGetValue(context.EndpointDefinition, out var port) ? port : 0;

    private static string AddressOf(IMailbox? mailbox) =>
        mailbox is null || (string.IsNullOrEmpty(mailbox.User) && string.IsNullOrEmpty(mailbox.Host))
            ? string.Empty
            : mailbox.AsAddress();

    /// <summary>Authenticator, mailbox filter and message store in one; shared by all sessions, so thread-safe.</summary>
    private sealed class Recorder(SmtpTestServer owner) : IUserAuthenticator, IMailboxFilter, IMessageStore
    {
        public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
        {
            var ok = user is not null
                && owner._users.TryGetValue(user, out var expected)
                && string.Equals(expected, password, StringComparison.Ordinal);
            owner._attempts.Enqueue(new SmtpAuthenticationAttempt(user ?? string.Empty, ok, owner.PortOf(context), context.Pipe.IsSecure));
            return Task.FromResult(ok);
        }

        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            // Called once per MAIL FROM command: this is how MailFromCount is counted.
            Interlocked.Increment(ref owner._mailFromCount);
            owner._mailFrom.Enqueue(AddressOf(from));
            return Task.FromResult(true);
        }

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public async Task<SmtpResponse> SaveAsync(
            ISessionContext context,
            IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray(), writable: false);
            var message = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            var user = context.Authentication.IsAuthenticated ? context.Authentication.User : null;
            owner._messages.Enqueue(new SmtpReceivedMessage(
                AddressOf(transaction.From),
                transaction.To.Select(AddressOf).ToArray(),
                message,
                user,
                owner.PortOf(context),
                context.Pipe.IsSecure));
            return SmtpResponse.Ok;
        }
    }
}
