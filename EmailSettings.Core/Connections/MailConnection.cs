using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using MailKit;

namespace EmailSettings.Core.Connections;

/// <summary>
/// One MailKit session of the product, up to "signed in": the steps Test Connection, sync and send share. It connects
/// the socket itself (so DNS failures, refusals and silence are told apart), negotiates TLS as <see cref="TlsPolicy"/>
/// says and checks the certificate against the system and the pin, signs in with exactly one SASL attempt chosen by
/// the <see cref="MailCredential"/>, keeps the <see cref="MailTimeLimit"/>, tracks the <see cref="Stage"/> and turns
/// what goes wrong into one <see cref="MailFailure"/> with the secrets scrubbed. The callers add only what they do
/// once signed in.
/// </summary>
/// <remarks>
/// A session: <c>ConnectAsync</c>, <c>SignInAsync</c> (a non-null result is a refusal: nothing usable is offered and
/// no secret was sent), <c>BeginWork</c>, the caller's commands on <see cref="Client"/> with <see cref="Token"/>,
/// <c>QuitAsync</c>; any exception on the way goes to <c>Classify</c>. One client per session.
/// </remarks>
internal abstract class MailConnection : IDisposable
{
    private Socket? socket;
    private LimitWindow? connectWindow;

    protected MailConnection(MailEndpoint endpoint, MailCredential? credential, MailTimeLimit limit)
    {
        Endpoint = endpoint;
        Credential = credential;
        Limit = limit;
        Certificate = TlsPolicy.CreateCertificateCheck(endpoint.PinnedSha256);
    }

    public ConnectionProtocol Protocol => Endpoint.Protocol;
    public MailEndpoint Endpoint { get; }

    /// <summary>Null for a session that does not sign in (an SMTP relay without a username).</summary>
    public MailCredential? Credential { get; }

    public MailTimeLimit Limit { get; }
    public CertificateCheck Certificate { get; }

    /// <summary>Masks every secret the credential held so far (an OAuth2 credential gains a token when it renews).</summary>
    public SecretScrubber Scrubber => Credential?.Scrubber ?? SecretScrubber.None;
    public ConnectionStage Stage { get; set; }

    /// <summary>What the caller does once signed in, for messages: "while sending", "during the sync".</summary>
    public string WorkPhrase { get; private set; } = "after signing in";

    /// <summary>Cancelled by the caller or at the time limit; for every command of the session.</summary>
    public CancellationToken Token => Limit.Token;

    /// <summary>Whether the session was encrypted once connected (kept when the connection drops later).</summary>
    public bool Secure { get; private set; }

    /// <summary>The address the socket reached; null until connected.</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    public abstract MailService Client { get; }

    /// <summary>True when a limit of this session ran out (not the caller): the total limit, or the connect's.</summary>
    public bool TimeLimitReached => Limit.TotalReached || connectWindow?.Expired == true;

    /// <summary>The limit a timeout message quotes: the total one when it was reached or is the tighter one, else the per-command one.</summary>
    public TimeSpan LimitReached => Limit.Total is { } total && (Limit.TotalReached || total <= Limit.CommandTimeout)
        ? total
        : Limit.CommandTimeout;

    /// <summary>"TLS 1.3" for a secure session, null otherwise.</summary>
    public string? TlsProtocol => DescribeTls(Client.IsSecure, Client.SslProtocol);

    /// <summary>
    /// DNS, TCP, TLS, greeting and capabilities. <paramref name="handshakeToken"/>, asked once the TCP connection
    /// stands, may bound the rest more tightly than <see cref="Token"/> (Test Connection's greeting window).
    /// </summary>
    public async Task ConnectAsync(Func<CancellationToken?>? handshakeToken = null)
    {
        socket = await ConnectSocketAsync();
        Stage = ConnectionStage.Handshake;
        await Client.ConnectAsync(socket, Endpoint.Host, Endpoint.Port, Endpoint.Mode, handshakeToken?.Invoke() ?? Token);
        Secure = Client.IsSecure;
    }

    /// <summary>
    /// Signs in with one attempt. Returns a refusal, without sending any secret, when the server offers no sign-in
    /// this credential can use; null when signed in or when there is no credential. A rejected secret throws
    /// (MailKit's <see cref="MailKit.Security.AuthenticationException"/>) for <see cref="Classify"/>.
    /// </summary>
    /// <remarks>
    /// An OAuth2 token the server refuses is renewed once and tried once more on the same connection: a server may say
    /// "expired" before the stored expiry (clock skew, a token revoked and re-issued), and one renewal tells a stale
    /// token from a dead grant. A password is never sent twice.
    /// </remarks>
    public async Task<MailFailure?> SignInAsync()
    {
        if (Credential is null)
        {
            return null;
        }
        Stage = ConnectionStage.Authenticating;
        if (RefuseSignIn(Credential) is { } refusal)
        {
            return refusal;
        }
        await Credential.PrepareAsync(Token);
        try
        {
            await AuthenticateOnceAsync(Credential);
            return null;
        }
        catch (MailKit.Security.AuthenticationException) when (Client.IsConnected)
        {
            if (!await Credential.RenewAfterRejectionAsync(Token))
            {
                throw;
            }
        }
        await AuthenticateOnceAsync(Credential);
        return null;
    }

    /// <summary>Marks the start of the caller's own commands, described by <paramref name="phrase"/> in messages.</summary>
    public void BeginWork(string phrase)
    {
        Stage = ConnectionStage.Working;
        WorkPhrase = phrase;
    }

    /// <summary>What went wrong, for the admin; null when <paramref name="error"/> is not a mail or network failure (a bug).</summary>
    public MailFailure? Classify(Exception error) => MailFailureClassifier.Classify(this, error);

    /// <summary>
    /// Says QUIT (SMTP) or LOGOUT (IMAP). A server that hangs up instead does not spoil a finished session: the problem
    /// comes back, scrubbed, for the caller to log. <paramref name="ownLimit"/> gives the goodbye its own time, for a
    /// caller whose main limit may be nearly used up; otherwise <see cref="Token"/> applies.
    /// </summary>
    public async Task<string?> QuitAsync(TimeSpan? ownLimit = null)
    {
        Stage = ConnectionStage.Disconnecting;
        using var own = ownLimit is { } length ? new LimitWindow(CancellationToken.None, length, Limit.Time) : null;
        try
        {
            await Client.DisconnectAsync(true, own?.Token ?? Token);
            return null;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or CommandException or OperationCanceledException)
        {
            return Scrubber.Scrub(ex.Message);
        }
    }

    /// <summary>A refusal when the server offers nothing this credential can sign in with.</summary>
    protected abstract MailFailure? RefuseSignIn(MailCredential credential);

    /// <summary>The single sign-in attempt.</summary>
    protected abstract Task AuthenticateOnceAsync(MailCredential credential);

    /// <summary>A refusal of the sign-in step: "The server …" in the dialog, "The mail server host:port …" elsewhere.</summary>
    protected MailFailure SignInRefused(string serverDoes, string? field, string? hint) =>
        MailFailureClassifier.Refusal(this, ConnectionFailureKind.AuthenticationMechanismNotSupported, serverDoes, field, hint);

    /// <summary>Resolves the host and opens the TCP connection, trying each address in turn.</summary>
    private async Task<Socket> ConnectSocketAsync()
    {
        // Without a total limit (sync), DNS and TCP get the per-command limit, as MailKit gives its own connect.
        connectWindow = Limit.Total is { } total && total <= Limit.CommandTimeout ? null : Limit.Window(Limit.CommandTimeout);
        var token = connectWindow?.Token ?? Token;

        Stage = ConnectionStage.Resolving;
        var host = Endpoint.Host.StartsWith('[') && Endpoint.Host.EndsWith(']') ? Endpoint.Host[1..^1] : Endpoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, token);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        Stage = ConnectionStage.Connecting;
        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            var candidate = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await candidate.ConnectAsync(address, Endpoint.Port, token);
                RemoteEndPoint = new IPEndPoint(address, Endpoint.Port);
                // Connected: from here on only the session's limits count.
                connectWindow?.Dispose();
                connectWindow = null;
                return candidate;
            }
            catch (SocketException ex)
            {
                // Try the host's next address; the last error is the one reported when none answers.
                candidate.Dispose();
                lastError = ex;
            }
            catch
            {
                candidate.Dispose();
                throw;
            }
        }
        throw lastError!;
    }

    private static string? DescribeTls(bool secure, SslProtocols protocol) => !secure ? null : protocol.ToString() switch
    {
        "Tls13" => "TLS 1.3",
        "Tls12" => "TLS 1.2",
        "Tls11" => "TLS 1.1",
        "Tls" => "TLS 1.0",
        var other => other,
    };

    public void Dispose()
    {
        Client.Dispose();
        socket?.Dispose();
        connectWindow?.Dispose();
        Limit.Dispose();
    }
}
