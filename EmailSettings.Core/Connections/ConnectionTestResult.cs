namespace EmailSettings.Core.Connections;

/// <summary>Why a connection test failed, in terms a tenant admin can act on.</summary>
public enum ConnectionFailureKind
{
    /// <summary>The test succeeded.</summary>
    None,

    /// <summary>A field is invalid; nothing was contacted.</summary>
    InvalidInput,

    /// <summary>The server or account to take the stored password from is not in the caller's tenant (or was deleted).</summary>
    NotFound,

    /// <summary>A username is set but no password can be used (none typed, none stored, or the username changed).</summary>
    PasswordRequired,

    /// <summary>DNS does not know the host.</summary>
    HostNotFound,

    /// <summary>The host answered, but nothing listens on the port.</summary>
    ConnectionRefused,

    /// <summary>No route to the host (network or host unreachable).</summary>
    HostUnreachable,

    /// <summary>No answer within the time limit.</summary>
    TimedOut,

    /// <summary>The admin cancelled the test (or closed the dialog).</summary>
    Cancelled,

    /// <summary>Something answered on the port, but not an SMTP/IMAP server.</summary>
    NotAMailServer,

    /// <summary>TLS could not be negotiated (not a certificate problem).</summary>
    TlsHandshakeFailed,

    /// <summary>The server's certificate is not trusted (and not the pinned one); see <see cref="ConnectionTestResult.Certificate"/>.</summary>
    CertificateNotTrusted,

    /// <summary>The port expects TLS on connect but the test spoke plain text, or the other way round.</summary>
    PortTlsMismatch,

    /// <summary>TLS is on, but the server does not offer STARTTLS on this port.</summary>
    StartTlsNotOffered,

    /// <summary>The server rejected the username or password.</summary>
    AuthenticationFailed,

    /// <summary>The server offers no sign-in, or only methods this portal cannot use.</summary>
    AuthenticationMechanismNotSupported,

    /// <summary>IMAP: signed in, but INBOX could not be opened.</summary>
    MailboxUnavailable,

    /// <summary>The server refused a command with an error reply.</summary>
    ServerError,

    /// <summary>The server closed the connection unexpectedly.</summary>
    ConnectionLost,

    /// <summary>OAuth2 is chosen but nobody has signed in with the provider yet.</summary>
    SignInRequired,

    /// <summary>The OAuth2 grant is dead (revoked, expired, consent withdrawn): sign in again (Reconnect).</summary>
    ReconnectNeeded,

    /// <summary>No fresh OAuth2 access token could be had: the provider's token endpoint failed or was unreachable.</summary>
    TokenUnavailable,
}

/// <summary>
/// The outcome of Test Connection, shown inline in the dialog. Never contains a password:
/// <see cref="Detail"/> is scrubbed before it leaves the tester.
/// </summary>
public sealed record ConnectionTestResult
{
    public required bool Succeeded { get; init; }
    public ConnectionFailureKind Failure { get; init; }

    /// <summary>"SMTP" or "IMAP".</summary>
    public required string Protocol { get; init; }

    /// <summary>One line: what happened.</summary>
    public required string Summary { get; init; }

    /// <summary>The input property to fix (e.g. <c>nameof(MailServerInput.SmtpPassword)</c>), or null when no single field is at fault.</summary>
    public string? Field { get; init; }

    /// <summary>What to do about it.</summary>
    public string? Hint { get; init; }

    public string? Host { get; init; }
    public int? Port { get; init; }

    /// <summary>The TLS mode that was tried, as <see cref="TlsPolicy.Describe"/> names it.</summary>
    public string? TlsMode { get; init; }

    /// <summary>The negotiated protocol, e.g. "TLS 1.3"; null without TLS.</summary>
    public string? TlsProtocol { get; init; }

    /// <summary>The user the server accepted; null when the test did not sign in.</summary>
    public string? AuthenticatedUser { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>The certificate the server presented when it was not trusted: what the admin may choose to trust.</summary>
    public CertificateInfo? Certificate { get; init; }

    /// <summary>True when the refused certificate differs from the one the admin pinned earlier.</summary>
    public bool PinnedCertificateChanged { get; init; }

    /// <summary>True when the connection succeeded only because the certificate is the pinned one.</summary>
    public bool AcceptedByPin { get; init; }

    /// <summary>Extensions the server offers (SMTP: AUTH mechanisms and extensions; IMAP: CONDSTORE, QRESYNC, IDLE when offered).</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>IMAP: messages in INBOX.</summary>
    public int? MessageCount { get; init; }

    /// <summary>The raw error (exception types and messages), passwords removed; for the collapsible detail.</summary>
    public string? Detail { get; init; }

    public bool Offers(string capability) => Capabilities.Contains(capability, StringComparer.OrdinalIgnoreCase);

    internal static ConnectionTestResult From(string protocol, MailFailure failure) =>
        Failed(protocol, failure.Kind, failure.Summary, failure.Field, failure.Hint) with
        {
            Certificate = failure.Certificate,
            PinnedCertificateChanged = failure.PinnedCertificateChanged,
            Detail = failure.Detail,
        };

    internal static ConnectionTestResult Failed(
        string protocol, ConnectionFailureKind kind, string summary, string? field, string? hint, TimeSpan elapsed = default) => new()
    {
        Succeeded = false,
        Failure = kind,
        Protocol = protocol,
        Summary = summary,
        Field = field,
        Hint = hint,
        Elapsed = elapsed,
    };
}
