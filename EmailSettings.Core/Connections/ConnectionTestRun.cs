using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// What only Test Connection adds to a <see cref="MailConnection"/>: a window for the greeting that leaves time to
/// find out whether a silent port expects TLS on connect, probes that explain a failed handshake (TLS where plain
/// text was expected and the other way round, something that is not a mail server), and the
/// <see cref="ConnectionTestResult"/> the dialog shows.
/// </summary>
internal sealed class ConnectionTestRun(MailConnection connection) : IDisposable
{
    /// <summary>Longest read of the probes that explain a failure (plain greeting, TLS hello).</summary>
    private static readonly TimeSpan MaxProbeTime = TimeSpan.FromSeconds(2);

    public const string CancelledSummary = "The test was cancelled.";

    private LimitWindow? greeting;

    public MailConnection Connection => connection;

    private ConnectionProtocol Protocol => connection.Protocol;
    private MailEndpoint Endpoint => connection.Endpoint;
    private TimeSpan Limit => connection.Limit.Total ?? connection.Limit.CommandTimeout;

    /// <summary>
    /// Connects. Without TLS on connect the server must greet first; if it stays silent the window closes a little
    /// before the limit, leaving time to probe whether the port expects TLS on connect instead.
    /// </summary>
    public Task ConnectAsync() => connection.ConnectAsync(() =>
    {
        if (Endpoint.Mode == SecureSocketOptions.SslOnConnect)
        {
            return null;
        }
        var window = Limit - ProbeReserve - connection.Limit.Elapsed;
        if (window <= TimeSpan.Zero)
        {
            return null;
        }
        greeting = connection.Limit.Window(window);
        return greeting.Token;
    });

    private TimeSpan ProbeReserve => TimeSpan.FromTicks(Math.Min(MaxProbeTime.Ticks, Limit.Ticks / 4));

    public ConnectionTestResult Succeeded(string summary, string? tlsProtocol, IReadOnlyList<string> capabilities, int? messageCount = null) =>
        Complete(new ConnectionTestResult
        {
            Succeeded = true,
            Protocol = Protocol.Name,
            Summary = summary,
            TlsProtocol = tlsProtocol,
            AuthenticatedUser = connection.Credential?.Username,
            AcceptedByPin = connection.Certificate.AcceptedByPin,
            Capabilities = capabilities,
            MessageCount = messageCount,
        });

    /// <summary>A failure found before or instead of a network error (e.g. the server offers no sign-in).</summary>
    public ConnectionTestResult Failed(MailFailure failure) => Complete(ConnectionTestResult.From(Protocol.Name, failure));

    /// <summary>
    /// Explains an exception thrown by the connection: cancellation first, then the time limit, then what the probes
    /// find, then the classifier's reading of stage and type.
    /// </summary>
    public async Task<ConnectionTestResult> FailedAsync(Exception error)
    {
        if (connection.Limit.CallerCancelled)
        {
            return Cancelled(error);
        }
        MailFailure? explained = null;
        if (!connection.TimeLimitReached && !MailFailureClassifier.IsTimeout(error))
        {
            if (greeting is { Expired: true })
            {
                explained = await NoGreetingAsync();
            }
            else if (connection.Stage == ConnectionStage.Handshake && MailFailureClassifier.HandshakeNeedsProbe(connection, error))
            {
                explained = await ProbeHandshakeAsync(error);
            }
            if (connection.Limit.CallerCancelled)
            {
                return Cancelled(error);
            }
        }
        var failure = explained is null
            ? connection.Classify(error)!
            : explained with { Detail = connection.Scrubber.Scrub(MailFailureClassifier.Describe(error)) };
        return Failed(failure);
    }

    private ConnectionTestResult Cancelled(Exception error) => Complete(
        ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.Cancelled, CancelledSummary, null, null)
            with { Detail = connection.Scrubber.Scrub(MailFailureClassifier.Describe(error)) });

    private ConnectionTestResult Complete(ConnectionTestResult result) => result with
    {
        Host = Endpoint.Host,
        Port = Endpoint.Port,
        TlsMode = TlsPolicy.Describe(Endpoint.Mode),
        Elapsed = connection.Limit.Elapsed,
        Detail = connection.Scrubber.Scrub(result.Detail),
    };

    /// <summary>Connected, but no greeting before the window closed: does the port expect TLS on connect?</summary>
    private async Task<MailFailure> NoGreetingAsync()
    {
        bool speaksTls;
        using (var probe = ProbeWindow())
        {
            speaksTls = connection.RemoteEndPoint is { } remote
                && await ConnectionProbes.SpeaksTlsAsync(remote, Endpoint.Host, probe.Token);
        }
        if (!speaksTls)
        {
            return MailFailureClassifier.TimedOut(connection);
        }
        var used = Endpoint.Mode == SecureSocketOptions.StartTls ? "STARTTLS" : "no encryption";
        if (!Endpoint.UseTls && Endpoint.Port == Protocol.ImplicitTlsPort)
        {
            return Explained(ConnectionFailureKind.PortTlsMismatch,
                $"Port {Endpoint.Port} expects TLS on connect, but {Protocol.TlsLabel} is off.",
                Protocol.TlsField,
                $"Turn on {Protocol.TlsLabel}.");
        }
        return Explained(ConnectionFailureKind.PortTlsMismatch,
            $"Port {Endpoint.Port} expects TLS on connect, but the test used {used}: the server waited for a TLS handshake and never greeted in plain text.",
            Protocol.PortField,
            $"This portal uses TLS on connect on port {Protocol.ImplicitTlsPort} only. If the server listens there, use port {Protocol.ImplicitTlsPort} with {Protocol.TlsLabel} on; otherwise use its STARTTLS port (usually {Protocol.StartTlsPort}) with {Protocol.TlsLabel} on.");
    }

    /// <summary>Something went wrong before the protocol got going: look at what the port says in plain text.</summary>
    private async Task<MailFailure?> ProbeHandshakeAsync(Exception error)
    {
        string? firstLine;
        using (var probe = ProbeWindow())
        {
            firstLine = connection.RemoteEndPoint is { } remote ? await ConnectionProbes.FirstLineAsync(remote, probe.Token) : null;
        }
        if (firstLine is not null && Protocol.IsGreeting(firstLine))
        {
            if (error is SslHandshakeException && Endpoint.Mode == SecureSocketOptions.SslOnConnect)
            {
                return Explained(ConnectionFailureKind.PortTlsMismatch,
                    $"Port {Endpoint.Port} answered in plain text, so the server expects STARTTLS there, not TLS on connect.",
                    Protocol.PortField,
                    $"Use port {Protocol.StartTlsPort} with {Protocol.TlsLabel} on (STARTTLS). This portal uses TLS on connect only on port {Protocol.ImplicitTlsPort}.");
            }
            return MailFailureClassifier.Lost(connection, "during the handshake", error);
        }
        if (!string.IsNullOrEmpty(firstLine))
        {
            return Explained(ConnectionFailureKind.NotAMailServer,
                $"{Endpoint.Address} answered, but not as an {Protocol.Name} server: \"{firstLine}\".",
                Protocol.PortField,
                $"Check {Protocol.PortLabel} and {Protocol.HostLabel}. {Protocol.PortAdvice}");
        }
        // Nothing said: the classifier's reading (TLS failed, or the connection closed before greeting) stands.
        return null;
    }

    private MailFailure Explained(ConnectionFailureKind kind, string summary, string? field, string? hint) =>
        MailFailureClassifier.Create(connection, kind, summary, field, hint);

    /// <summary>A window for a probe: at most <see cref="MaxProbeTime"/>, never past the total limit.</summary>
    private LimitWindow ProbeWindow() => connection.Limit.Window(MaxProbeTime);

    /// <summary>"STARTTLS (TLS 1.3)", "TLS on connect (TLS 1.2)", "no encryption".</summary>
    public string ChannelText(string? tlsProtocol) =>
        tlsProtocol is null ? TlsPolicy.Describe(Endpoint.Mode) : $"{TlsPolicy.Describe(Endpoint.Mode)} ({tlsProtocol})";

    public void Dispose() => greeting?.Dispose();
}
