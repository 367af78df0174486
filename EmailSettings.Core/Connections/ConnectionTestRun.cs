using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using MailKit;
using MailKit.Security;
using AuthenticationException = MailKit.Security.AuthenticationException;

namespace EmailSettings.Core.Connections;

/// <summary>What one test connects to, as typed in the dialog (password resolved).</summary>
internal sealed record ConnectionTarget(
    string Host,
    int Port,
    bool UseTls,
    SecureSocketOptions Mode,
    string? Username,
    string? Password,
    string? PinnedSha256);

internal enum ConnectionStage
{
    Resolving,
    Connecting,
    Handshake,
    Authenticating,
    OpeningMailbox,
    Disconnecting,
}

/// <summary>
/// The protocol-neutral part of one connection test: the time limit and cancellation, the TCP connect
/// (done here so DNS, refusal and silence are told apart), the certificate check, and turning whatever went
/// wrong into a <see cref="ConnectionTestResult"/> an admin can act on.
/// </summary>
internal sealed class ConnectionTestRun : IDisposable
{
    /// <summary>Longest read of the probes that explain a failure (plain greeting, TLS hello).</summary>
    private static readonly TimeSpan MaxProbeTime = TimeSpan.FromSeconds(2);

    private readonly ConnectionProtocol protocol;
    private readonly ConnectionTarget target;
    private readonly TimeSpan limit;
    private readonly TimeProvider time;
    private readonly CancellationToken callerToken;
    private readonly CancellationTokenSource limitTimer;
    private readonly CancellationTokenSource linked;
    private readonly long started;
    private CancellationTokenSource? greetingTimer;
    private CancellationTokenSource? greetingLinked;

    public ConnectionTestRun(ConnectionProtocol protocol, ConnectionTarget target, TimeSpan limit, TimeProvider time, CancellationToken callerToken)
    {
        this.protocol = protocol;
        this.target = target;
        this.limit = limit;
        this.time = time;
        this.callerToken = callerToken;
        started = time.GetTimestamp();
        limitTimer = new CancellationTokenSource(limit, time);
        linked = CancellationTokenSource.CreateLinkedTokenSource(callerToken, limitTimer.Token);
        Certificate = TlsPolicy.CreateCertificateCheck(target.PinnedSha256);
    }

    /// <summary>Cancelled by the caller or when the total time limit is reached.</summary>
    public CancellationToken Token => linked.Token;

    public CertificateCheck Certificate { get; }
    public ConnectionStage Stage { get; set; }

    /// <summary>Set by the tester once connected: whether the session is encrypted.</summary>
    public bool Secure { get; set; }

    /// <summary>For MailKit's per-read timeout, a second line of defence behind <see cref="Token"/>.</summary>
    public int ClientTimeoutMilliseconds => (int)Math.Min(int.MaxValue, Math.Ceiling(limit.TotalMilliseconds));

    public TimeSpan Elapsed => time.GetElapsedTime(started);

    private IPEndPoint? RemoteEndPoint { get; set; }
    private string Endpoint => $"{target.Host}:{target.Port}";
    private string Seconds => $"{limit.TotalSeconds:0.#} s";

    /// <summary>Resolves the host and opens the TCP connection, trying each address in turn.</summary>
    public async Task<Socket> ConnectSocketAsync()
    {
        Stage = ConnectionStage.Resolving;
        var host = target.Host.StartsWith('[') && target.Host.EndsWith(']') ? target.Host[1..^1] : target.Host;
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, Token);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        Stage = ConnectionStage.Connecting;
        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, target.Port, Token);
                RemoteEndPoint = new IPEndPoint(address, target.Port);
                return socket;
            }
            catch (SocketException ex)
            {
                // Try the host's next address; the last error is the one reported when none answers.
                socket.Dispose();
                lastError = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw lastError!;
    }

    /// <summary>
    /// The token for the MailKit connect (TLS, greeting, EHLO/CAPABILITY, STARTTLS). Without TLS on connect the
    /// server must greet first; if it stays silent the window closes a little before the limit, leaving time
    /// to find out whether the port expects TLS on connect instead.
    /// </summary>
    public CancellationToken HandshakeToken()
    {
        Stage = ConnectionStage.Handshake;
        if (target.Mode == SecureSocketOptions.SslOnConnect)
        {
            return Token;
        }
        var window = limit - ProbeReserve - Elapsed;
        if (window <= TimeSpan.Zero)
        {
            return Token;
        }
        greetingTimer = new CancellationTokenSource(window, time);
        greetingLinked = CancellationTokenSource.CreateLinkedTokenSource(Token, greetingTimer.Token);
        return greetingLinked.Token;
    }

    private TimeSpan ProbeReserve => TimeSpan.FromTicks(Math.Min(MaxProbeTime.Ticks, limit.Ticks / 4));

    public ConnectionTestResult Succeeded(string summary, string? tlsProtocol, IReadOnlyList<string> capabilities, int? messageCount = null) =>
        Complete(new ConnectionTestResult
        {
            Succeeded = true,
            Protocol = protocol.Name,
            Summary = summary,
            TlsProtocol = tlsProtocol,
            AuthenticatedUser = target.Username,
            AcceptedByPin = Certificate.AcceptedByPin,
            Capabilities = capabilities,
            MessageCount = messageCount,
        });

    /// <summary>A failure found before or instead of a network error (e.g. the server offers no sign-in).</summary>
    public ConnectionTestResult Failed(ConnectionFailureKind kind, string summary, string? field, string? hint) =>
        Complete(ConnectionTestResult.Failed(protocol.Name, kind, summary, field, hint));

    /// <summary>Explains an exception thrown by the connection: cancellation and the time limit first, then by stage and type.</summary>
    public async Task<ConnectionTestResult> FailedAsync(Exception error)
    {
        ConnectionTestResult result;
        if (callerToken.IsCancellationRequested)
        {
            result = ConnectionTestResult.Failed(protocol.Name, ConnectionFailureKind.Cancelled, "The test was cancelled.", null, null);
        }
        else if (limitTimer.IsCancellationRequested || IsTimeout(error))
        {
            result = TimedOut();
        }
        else if (greetingTimer is { IsCancellationRequested: true })
        {
            result = await NoGreetingAsync();
        }
        else
        {
            result = Stage switch
            {
                ConnectionStage.Resolving => HostNotFound(),
                ConnectionStage.Connecting => ConnectFailed(error),
                ConnectionStage.Handshake => await HandshakeFailedAsync(error),
                ConnectionStage.Authenticating => AuthenticationFailed(error),
                ConnectionStage.OpeningMailbox => MailboxFailed(error),
                _ => Lost("while closing the connection"),
            };
        }
        return Complete(result with { Detail = Describe(error) });
    }

    private ConnectionTestResult Complete(ConnectionTestResult result) => result with
    {
        Host = target.Host,
        Port = target.Port,
        TlsMode = TlsPolicy.Describe(target.Mode),
        Elapsed = Elapsed,
        Detail = result.Detail is null ? null : Scrub(result.Detail),
    };

    private ConnectionTestResult Fail(ConnectionFailureKind kind, string summary, string? field, string? hint) =>
        ConnectionTestResult.Failed(protocol.Name, kind, summary, field, hint);

    private ConnectionTestResult HostNotFound() => Fail(
        ConnectionFailureKind.HostNotFound,
        $"The host \"{target.Host}\" was not found (DNS).",
        protocol.HostField,
        $"Check {protocol.HostLabel} for typos; it should be a name such as {protocol.Name.ToLowerInvariant()}.example.com or an IP address.");

    private ConnectionTestResult ConnectFailed(Exception error) => error switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => Fail(
            ConnectionFailureKind.ConnectionRefused,
            $"{Endpoint} refused the connection: nothing accepts connections on port {target.Port}.",
            protocol.PortField,
            $"Check {protocol.PortLabel}. {protocol.PortAdvice} If the port is right, the server may be down."),
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => HostNotFound(),
        SocketException { SocketErrorCode: SocketError.TimedOut } => TimedOut(),
        _ => Fail(
            ConnectionFailureKind.HostUnreachable,
            $"{target.Host} cannot be reached from the portal ({Reason(error)}).",
            protocol.HostField,
            $"Check {protocol.HostLabel}. The host may be on a private network the portal cannot reach."),
    };

    private ConnectionTestResult TimedOut() => Stage switch
    {
        ConnectionStage.Resolving => Fail(
            ConnectionFailureKind.TimedOut,
            $"Looking up \"{target.Host}\" did not finish within {Seconds}.",
            protocol.HostField,
            $"Check {protocol.HostLabel}; the name servers may be slow or unreachable. Try again."),
        ConnectionStage.Connecting => Fail(
            ConnectionFailureKind.TimedOut,
            $"No answer from {Endpoint} within {Seconds}.",
            protocol.PortField,
            $"Check {protocol.HostLabel} and {protocol.PortLabel}. A firewall may be dropping connections to this port (many networks block port 25)."),
        ConnectionStage.Handshake => Fail(
            ConnectionFailureKind.TimedOut,
            target.Mode == SecureSocketOptions.SslOnConnect
                ? $"{Endpoint} accepted the connection but did not complete the TLS handshake within {Seconds}."
                : $"{Endpoint} accepted the connection but did not greet as an {protocol.Name} server within {Seconds}.",
            protocol.PortField,
            $"The port may belong to another service. Check {protocol.PortLabel}: {protocol.PortAdvice}"),
        _ => Fail(
            ConnectionFailureKind.TimedOut,
            $"{Endpoint} stopped answering {StageText} (time limit {Seconds}).",
            null,
            "The server may be overloaded. Try again later; if it persists, contact the mail provider."),
    };

    private string StageText => Stage switch
    {
        ConnectionStage.Authenticating => "during sign-in",
        ConnectionStage.OpeningMailbox => "while opening INBOX",
        ConnectionStage.Disconnecting => "while closing the connection",
        _ => "during the handshake",
    };

    /// <summary>Connected, but no greeting before the window closed: does the port expect TLS on connect?</summary>
    private async Task<ConnectionTestResult> NoGreetingAsync()
    {
        var speaksTls = await ProbeSpeaksTlsAsync();
        if (callerToken.IsCancellationRequested)
        {
            return Fail(ConnectionFailureKind.Cancelled, "The test was cancelled.", null, null);
        }
        if (!speaksTls)
        {
            return TimedOut();
        }
        var used = target.Mode == SecureSocketOptions.StartTls ? "STARTTLS" : "no encryption";
        if (!target.UseTls && target.Port == protocol.ImplicitTlsPort)
        {
            return Fail(
                ConnectionFailureKind.PortTlsMismatch,
                $"Port {target.Port} expects TLS on connect, but {protocol.TlsLabel} is off.",
                protocol.TlsField,
                $"Turn on {protocol.TlsLabel}.");
        }
        return Fail(
            ConnectionFailureKind.PortTlsMismatch,
            $"Port {target.Port} expects TLS on connect, but the test used {used}: the server waited for a TLS handshake and never greeted in plain text.",
            protocol.PortField,
            $"This portal uses TLS on connect on port {protocol.ImplicitTlsPort} only. If the server listens there, use port {protocol.ImplicitTlsPort} with {protocol.TlsLabel} on; otherwise use its STARTTLS port (usually {protocol.StartTlsPort}) with {protocol.TlsLabel} on.");
    }

    private async Task<ConnectionTestResult> HandshakeFailedAsync(Exception error)
    {
        if (error is SslHandshakeException && Certificate.Presented is { } certificate)
        {
            return Untrusted(certificate);
        }
        if (error is NotSupportedException && target.Mode == SecureSocketOptions.StartTls)
        {
            return Fail(
                ConnectionFailureKind.StartTlsNotOffered,
                $"The server on port {target.Port} does not offer STARTTLS, so the connection cannot be encrypted there.",
                protocol.TlsField,
                $"Use port {protocol.ImplicitTlsPort} (TLS on connect) if the provider offers it. Turn off {protocol.TlsLabel} only for a server on a trusted network: without TLS the password travels unencrypted.");
        }
        if (error is CommandException)
        {
            return Fail(
                ConnectionFailureKind.ServerError,
                $"The server at {Endpoint} refused the connection: {Reason(error)}",
                protocol.HostField,
                "The server may not accept connections from the portal's address. Ask the mail provider to allow it.");
        }

        // Something went wrong before the protocol got going: look at what the port says in plain text.
        var firstLine = await ProbeFirstLineAsync();
        if (callerToken.IsCancellationRequested)
        {
            return Fail(ConnectionFailureKind.Cancelled, "The test was cancelled.", null, null);
        }
        if (firstLine is not null && protocol.IsGreeting(firstLine))
        {
            if (error is SslHandshakeException && target.Mode == SecureSocketOptions.SslOnConnect)
            {
                return Fail(
                    ConnectionFailureKind.PortTlsMismatch,
                    $"Port {target.Port} answered in plain text, so the server expects STARTTLS there, not TLS on connect.",
                    protocol.PortField,
                    $"Use port {protocol.StartTlsPort} with {protocol.TlsLabel} on (STARTTLS). This portal uses TLS on connect only on port {protocol.ImplicitTlsPort}.");
            }
            return Lost("during the handshake");
        }
        if (!string.IsNullOrEmpty(firstLine))
        {
            return Fail(
                ConnectionFailureKind.NotAMailServer,
                $"{Endpoint} answered, but not as an {protocol.Name} server: \"{firstLine}\".",
                protocol.PortField,
                $"Check {protocol.PortLabel} and {protocol.HostLabel}. {protocol.PortAdvice}");
        }
        if (error is SslHandshakeException)
        {
            return Fail(
                ConnectionFailureKind.TlsHandshakeFailed,
                $"TLS could not be negotiated with {Endpoint} ({Reason(error)}).",
                protocol.TlsField,
                $"The server may support only outdated TLS versions, or {protocol.PortLabel} and {protocol.TlsLabel} do not match the server. {protocol.PortAdvice}");
        }
        return Lost("before greeting");
    }

    private ConnectionTestResult Untrusted(CertificateInfo certificate)
    {
        var changed = !string.IsNullOrWhiteSpace(target.PinnedSha256);
        var nameOnly = Certificate.Errors == SslPolicyErrors.RemoteCertificateNameMismatch;
        var now = time.GetUtcNow().UtcDateTime;
        var reason = now > certificate.NotAfter ? $"it expired on {certificate.NotAfter:yyyy-MM-dd}"
            : now < certificate.NotBefore ? $"it is not valid before {certificate.NotBefore:yyyy-MM-dd}"
            : nameOnly ? $"it was issued for {certificate.Subject}, not {target.Host}"
            : "it is self-signed or issued by an authority this server does not trust";
        var result = Fail(
            ConnectionFailureKind.CertificateNotTrusted,
            changed
                ? $"The server's certificate changed since you trusted it, and the new one is not trusted ({reason})."
                : $"The server's certificate is not trusted: {reason}.",
            nameOnly && !changed ? protocol.HostField : null,
            changed
                ? "If the certificate was renewed on purpose, compare the new SHA-256 fingerprint with the one your provider gives you and trust it again. Otherwise someone may be intercepting the connection."
                : nameOnly
                    ? $"Use the host name the certificate was issued for in {protocol.HostLabel}, or trust this certificate if you know it is the server's."
                    : "If you expected this certificate (for example a self-signed certificate on your own server), compare its SHA-256 fingerprint with the one your provider gives you, then choose Trust this certificate.");
        return result with { Certificate = certificate, PinnedCertificateChanged = changed };
    }

    private ConnectionTestResult AuthenticationFailed(Exception error) => error switch
    {
        AuthenticationException or SaslException => Fail(
            ConnectionFailureKind.AuthenticationFailed,
            $"The server rejected the sign-in as \"{target.Username}\".",
            protocol.PasswordField,
            $"Check {protocol.UsernameLabel} and {protocol.PasswordLabel}. Some providers need an app password, or {protocol.Name} sign-in enabled for the mailbox."),
        NotSupportedException => Fail(
            ConnectionFailureKind.AuthenticationMechanismNotSupported,
            "The server does not offer a sign-in method this portal supports.",
            protocol.UsernameField,
            "Ask the mail provider for password sign-in (PLAIN or LOGIN) over TLS."),
        CommandException when !Secure => Fail(
            ConnectionFailureKind.AuthenticationMechanismNotSupported,
            $"The server refused sign-in on an unencrypted connection: {Reason(error)}",
            protocol.TlsField,
            $"Turn on {protocol.TlsLabel}."),
        CommandException => Fail(
            ConnectionFailureKind.ServerError,
            $"The server refused the sign-in: {Reason(error)}",
            protocol.UsernameField,
            $"Check {protocol.UsernameLabel}; the mailbox may be disabled."),
        _ => Lost("during sign-in"),
    };

    private ConnectionTestResult MailboxFailed(Exception error) => error is CommandException or FolderNotFoundException
        ? Fail(
            ConnectionFailureKind.MailboxUnavailable,
            $"Signed in as \"{target.Username}\", but INBOX could not be opened: {Reason(error)}",
            protocol.UsernameField,
            $"Check that {protocol.UsernameLabel} is the mailbox to sync; the mailbox may be disabled.")
        : Lost("while opening INBOX");

    private ConnectionTestResult Lost(string when) => Fail(
        ConnectionFailureKind.ConnectionLost,
        $"The server at {Endpoint} closed the connection {when}.",
        Stage == ConnectionStage.Handshake ? protocol.PortField : null,
        $"The server may limit connections or block the portal's address. Try again; if it persists, check {protocol.PortLabel} and {protocol.TlsLabel}.");

    /// <summary>
    /// Opens a second connection and reads what the server says first, without sending anything.
    /// Null when it says nothing in time or the connection fails.
    /// </summary>
    private async Task<string?> ProbeFirstLineAsync()
    {
        if (RemoteEndPoint is null)
        {
            return null;
        }
        using var probeTime = ProbeToken(out var token);
        try
        {
            using var socket = new Socket(RemoteEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(RemoteEndPoint, token);
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

    /// <summary>Opens a second connection and starts a TLS handshake: true when the port answers with a certificate.</summary>
    private async Task<bool> ProbeSpeaksTlsAsync()
    {
        if (RemoteEndPoint is null)
        {
            return false;
        }
        using var probeTime = ProbeToken(out var token);
        var sawCertificate = false;
        try
        {
            using var socket = new Socket(RemoteEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(RemoteEndPoint, token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = target.Host,
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

    /// <summary>A token for a probe: at most <see cref="MaxProbeTime"/>, never past the total limit.</summary>
    private LinkedTimeout ProbeToken(out CancellationToken token)
    {
        var probe = new LinkedTimeout(Token, MaxProbeTime, time);
        token = probe.Token;
        return probe;
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

    private static bool IsTimeout(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException or SocketException { SocketErrorCode: SocketError.TimedOut })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The innermost message, for the one-line summary.</summary>
    private static string Reason(Exception error)
    {
        var message = error.Message;
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            message = e.Message;
        }
        return error is SocketException socket ? $"{socket.SocketErrorCode}: {message}" : message;
    }

    /// <summary>Exception types and messages, outermost first; no stack traces.</summary>
    private static string Describe(Exception error)
    {
        var text = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text.Append(e.GetType().FullName).Append(": ").AppendLine(e.Message);
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// What a connection can throw when the server, the network or the settings are at fault: these become a result.
    /// Anything else (a bug) is not caught by the testers.
    /// </summary>
    public static bool IsConnectionError(Exception error) => error is IOException or SocketException or TimeoutException
        or OperationCanceledException or ProtocolException or CommandException or AuthenticationException or SaslException
        or SslHandshakeException or NotSupportedException or ServiceNotConnectedException or FolderNotFoundException
        or System.Security.Authentication.AuthenticationException;

    /// <summary>
    /// The strongest password mechanism both sides support, or null. One mechanism means one attempt: letting MailKit
    /// fall through several mechanisms would send a wrong password several times and can lock the mailbox.
    /// </summary>
    public SaslMechanism? ChooseMechanism(IEnumerable<string> offered)
    {
        var set = new HashSet<string>(offered, StringComparer.OrdinalIgnoreCase);
        var name = PasswordMechanisms.FirstOrDefault(m => set.Contains(m) && SaslMechanism.IsSupported(m));
        return name is null ? null : SaslMechanism.Create(name, new NetworkCredential(target.Username, target.Password));
    }

    /// <summary>
    /// SASL mechanisms that work with a username and password alone, strongest first (MailKit's own order, without
    /// OAuth tokens, Kerberos or channel binding).
    /// </summary>
    private static readonly string[] PasswordMechanisms =
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "NTLM", "DIGEST-MD5", "CRAM-MD5", "PLAIN", "LOGIN"];

    public static bool IsPasswordMechanism(string mechanism) =>
        PasswordMechanisms.Contains(mechanism, StringComparer.OrdinalIgnoreCase) && SaslMechanism.IsSupported(mechanism);

    /// <summary>"STARTTLS (TLS 1.3)", "TLS on connect (TLS 1.2)", "no encryption".</summary>
    public string ChannelText(string? tlsProtocol) =>
        tlsProtocol is null ? TlsPolicy.Describe(target.Mode) : $"{TlsPolicy.Describe(target.Mode)} ({tlsProtocol})";

    /// <summary>"TLS 1.3" for a secure session, null otherwise.</summary>
    public static string? DescribeTls(bool secure, SslProtocols protocol) => !secure ? null : protocol.ToString() switch
    {
        "Tls13" => "TLS 1.3",
        "Tls12" => "TLS 1.2",
        "Tls11" => "TLS 1.1",
        "Tls" => "TLS 1.0",
        var other => other,
    };

    /// <summary>Removes the password (and its Base64 forms used by AUTH PLAIN/LOGIN) from text shown or logged.</summary>
    public string Scrub(string text)
    {
        if (string.IsNullOrEmpty(target.Password))
        {
            return text;
        }
        var forms = new[]
        {
            target.Password,
            Convert.ToBase64String(Encoding.UTF8.GetBytes(target.Password)),
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{target.Username}\0{target.Password}")),
        };
        foreach (var form in forms)
        {
            text = text.Replace(form, "********", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>A token cancelled by an outer token or after a time, whichever comes first.</summary>
    private sealed class LinkedTimeout : IDisposable
    {
        private readonly CancellationTokenSource timer;
        private readonly CancellationTokenSource linked;

        public LinkedTimeout(CancellationToken outer, TimeSpan after, TimeProvider time)
        {
            timer = new CancellationTokenSource(after, time);
            linked = CancellationTokenSource.CreateLinkedTokenSource(outer, timer.Token);
        }

        public CancellationToken Token => linked.Token;

        public void Dispose()
        {
            linked.Dispose();
            timer.Dispose();
        }
    }

    public void Dispose()
    {
        greetingLinked?.Dispose();
        greetingTimer?.Dispose();
        linked.Dispose();
        limitTimer.Dispose();
    }
}
