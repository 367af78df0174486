using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using EmailSettings.Core.OAuth;
using AuthenticationException = MailKit.Security.AuthenticationException;

namespace EmailSettings.Core.Connections;

/// <summary>
/// The one classifier of mail session failures: by the time limit first, then by the stage the session was in and the
/// exception's type. Each failure gets the dialog's wording (summary, field, hint) and the wording for places outside
/// the dialog (<see cref="MailFailure.Message"/>) side by side, so Test Connection, sync and send agree on what
/// happened. The stage phrases ("while connecting", "while logging in") and the names of fields and records come
/// from the session.
/// </summary>
internal static class MailFailureClassifier
{
    /// <summary>
    /// What a connection can throw when the server, the network or the settings are at fault: these become a failure.
    /// Anything else (a bug, a database error) is the caller's to handle.
    /// </summary>
    public static bool IsConnectionError(Exception error) => error is IOException or SocketException or TimeoutException
        or OperationCanceledException or ProtocolException or CommandException or AuthenticationException or SaslException
        or SslHandshakeException or NotSupportedException or ServiceNotConnectedException or ServiceNotAuthenticatedException
        or FolderNotFoundException or System.Security.Authentication.AuthenticationException
        or OAuthReconnectNeededException or OAuthTokenUnavailableException;

    public static MailFailure? Classify(MailConnection c, Exception error)
    {
        if (!IsConnectionError(error))
        {
            return null;
        }
        var failure = c.Limit.CallerCancelled ? Cancelled(c)
            : error is OAuthReconnectNeededException dead ? ReconnectNeeded(c, dead)
            : error is OAuthTokenUnavailableException unavailable ? TokenUnavailable(c, unavailable)
            : c.TimeLimitReached || IsTimeout(error) ? TimedOut(c)
            : c.Stage switch
            {
                ConnectionStage.Resolving => HostNotFound(c),
                ConnectionStage.Connecting => ConnectFailed(c, error),
                ConnectionStage.Handshake => HandshakeFailed(c, error),
                ConnectionStage.Authenticating => SignInFailed(c, error),
                ConnectionStage.OpeningMailbox => MailboxFailed(c, error),
                ConnectionStage.Working => WorkFailed(c, error),
                _ => Lost(c, "while closing the connection", error),
            };
        return Scrubbed(c, failure with { Detail = Describe(error) });
    }

    /// <summary>
    /// A failure found without an exception (the server offers no usable sign-in): "The server {does}" in the dialog,
    /// "The mail server host:port {does}" elsewhere.
    /// </summary>
    public static MailFailure Refusal(MailConnection c, ConnectionFailureKind kind, string serverDoes, string? field, string? hint) =>
        Scrubbed(c, new MailFailure(kind, c.Stage, $"The server {serverDoes}", field, hint,
            hint is null ? $"{ServerAt(c)} {serverDoes}" : $"{ServerAt(c)} {serverDoes} {hint}"));

    /// <summary>For a failure Test Connection explains itself (by probing the port).</summary>
    public static MailFailure Create(MailConnection c, ConnectionFailureKind kind, string summary, string? field, string? hint) =>
        Scrubbed(c, new MailFailure(kind, c.Stage, summary, field, hint, $"{summary} {hint}".TrimEnd()));

    public static MailFailure Cancelled(MailConnection c) =>
        new(ConnectionFailureKind.Cancelled, c.Stage, "The connection was cancelled.", null, null, "The connection was cancelled.");

    public static MailFailure TimedOut(MailConnection c)
    {
        var p = c.Protocol;
        var endpoint = c.Endpoint.Address;
        var seconds = $"{c.LimitReached.TotalSeconds:0.#} s";
        var message = $"{ServerAt(c)} did not answer within {c.LimitReached.TotalSeconds:0} seconds {During(c)}.";
        return c.Stage switch
        {
            ConnectionStage.Resolving => new(ConnectionFailureKind.TimedOut, c.Stage,
                $"Looking up \"{c.Endpoint.Host}\" did not finish within {seconds}.",
                p.HostField,
                $"Check {p.HostLabel}; the name servers may be slow or unreachable. Try again.",
                message),
            ConnectionStage.Connecting => new(ConnectionFailureKind.TimedOut, c.Stage,
                $"No answer from {endpoint} within {seconds}.",
                p.PortField,
                $"Check {p.HostLabel} and {p.PortLabel}. A firewall may be dropping connections to this port (many networks block port 25).",
                message),
            ConnectionStage.Handshake => new(ConnectionFailureKind.TimedOut, c.Stage,
                c.Endpoint.Mode == SecureSocketOptions.SslOnConnect
                    ? $"{endpoint} accepted the connection but did not complete the TLS handshake within {seconds}."
                    : $"{endpoint} accepted the connection but did not greet as an {p.Name} server within {seconds}.",
                p.PortField,
                $"The port may belong to another service. Check {p.PortLabel}: {p.PortAdvice}",
                message),
            _ => new(ConnectionFailureKind.TimedOut, c.Stage,
                $"{endpoint} stopped answering {StageText(c)} (time limit {seconds}).",
                null,
                "The server may be overloaded. Try again later; if it persists, contact the mail provider.",
                message),
        };
    }

    public static MailFailure HostNotFound(MailConnection c)
    {
        var p = c.Protocol;
        return new(ConnectionFailureKind.HostNotFound, c.Stage,
            $"The host \"{c.Endpoint.Host}\" was not found (DNS).",
            p.HostField,
            $"Check {p.HostLabel} for typos; it should be a name such as {p.Name.ToLowerInvariant()}.example.com or an IP address.",
            $"The {p.Name} host \"{c.Endpoint.Host}\" could not be found. Check the {p.HostLabel} of {c.Endpoint.Record}.");
    }

    /// <summary>The server closed the connection <paramref name="when"/> ("before greeting", "during sign-in").</summary>
    public static MailFailure Lost(MailConnection c, string when, Exception? error = null)
    {
        var p = c.Protocol;
        var reason = error is null ? "." : $": {Sentence(Reason(error))}";
        return new(ConnectionFailureKind.ConnectionLost, c.Stage,
            $"The server at {c.Endpoint.Address} closed the connection {when}.",
            c.Stage == ConnectionStage.Handshake ? p.PortField : null,
            $"The server may limit connections or block the portal's address. Try again; if it persists, check {p.PortLabel} and {p.TlsLabel}.",
            error is ProtocolException
                ? $"{ServerAt(c)} broke off the conversation {During(c)}{reason}"
                : $"The connection to the {p.ServerNoun} {c.Endpoint.Address} was lost {During(c)}{reason}");
    }

    /// <summary>
    /// True when a failed handshake says too little on its own: something answered, but the error does not say what.
    /// Test Connection then looks at what the port says in plain text.
    /// </summary>
    public static bool HandshakeNeedsProbe(MailConnection c, Exception error) =>
        !(error is SslHandshakeException && c.Certificate.Presented is not null)
        && !(error is NotSupportedException && c.Endpoint.Mode == SecureSocketOptions.StartTls)
        && error is not CommandException;

    private static MailFailure ConnectFailed(MailConnection c, Exception error)
    {
        var p = c.Protocol;
        var endpoint = c.Endpoint.Address;
        return error switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new(ConnectionFailureKind.ConnectionRefused, c.Stage,
                $"{endpoint} refused the connection: nothing accepts connections on port {c.Endpoint.Port}.",
                p.PortField,
                $"Check {p.PortLabel}. {p.PortAdvice} If the port is right, the server may be down.",
                // Worded as admins know them from the email log and the account card.
                p == ConnectionProtocol.Imap
                    ? $"Cannot reach the {p.ServerNoun} {endpoint}: it refused the connection. Check the {p.HostLabel} and {p.PortLabel} of {c.Endpoint.Record}."
                    : $"{ServerAt(c)} refused the connection. Check the {p.HostLabel} and {p.PortLabel} of {c.Endpoint.Record}."),
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => HostNotFound(c),
            SocketException { SocketErrorCode: SocketError.TimedOut } => TimedOut(c),
            _ => new(ConnectionFailureKind.HostUnreachable, c.Stage,
                $"{c.Endpoint.Host} cannot be reached from the portal ({Reason(error)}).",
                p.HostField,
                $"Check {p.HostLabel}. The host may be on a private network the portal cannot reach.",
                $"Cannot reach the {p.ServerNoun} {endpoint} ({Reason(error)}). Check the {p.HostLabel} of {c.Endpoint.Record}; the host may be on a network the portal cannot reach."),
        };
    }

    private static MailFailure HandshakeFailed(MailConnection c, Exception error)
    {
        var p = c.Protocol;
        if (error is SslHandshakeException && c.Certificate.Presented is { } certificate)
        {
            return Untrusted(c, certificate);
        }
        if (error is NotSupportedException && c.Endpoint.Mode == SecureSocketOptions.StartTls)
        {
            return new(ConnectionFailureKind.StartTlsNotOffered, c.Stage,
                $"The server on port {c.Endpoint.Port} does not offer STARTTLS, so the connection cannot be encrypted there.",
                p.TlsField,
                $"Use port {p.ImplicitTlsPort} (TLS on connect) if the provider offers it. Turn off {p.TlsLabel} only for a server on a trusted network: without TLS the password travels unencrypted.",
                $"{ServerAt(c)} does not offer STARTTLS. Turn off {p.TlsLabel} only if the server really has no TLS.");
        }
        if (error is CommandException)
        {
            return new(ConnectionFailureKind.ServerError, c.Stage,
                $"The server at {c.Endpoint.Address} refused the connection: {Reason(error)}",
                p.HostField,
                "The server may not accept connections from the portal's address. Ask the mail provider to allow it.",
                $"{ServerAt(c)} refused the connection: {Sentence(Reason(error))}",
                ServerReply(error));
        }
        if (error is SslHandshakeException)
        {
            return new(ConnectionFailureKind.TlsHandshakeFailed, c.Stage,
                $"TLS could not be negotiated with {c.Endpoint.Address} ({Reason(error)}).",
                p.TlsField,
                $"The server may support only outdated TLS versions, or {p.PortLabel} and {p.TlsLabel} do not match the server. {p.PortAdvice}",
                $"The TLS handshake with {c.Endpoint.Address} ({TlsPolicy.Describe(c.Endpoint.Mode)}) failed: {Sentence(Reason(error))} Check the port and the {p.TlsLabel} setting.");
        }
        return Lost(c, "before greeting", error);
    }

    private static MailFailure Untrusted(MailConnection c, CertificateInfo certificate)
    {
        var p = c.Protocol;
        var changed = !string.IsNullOrWhiteSpace(c.Endpoint.PinnedSha256);
        var nameOnly = c.Certificate.Errors == SslPolicyErrors.RemoteCertificateNameMismatch;
        var now = c.Limit.Time.GetUtcNow().UtcDateTime;
        var reason = now > certificate.NotAfter ? $"it expired on {certificate.NotAfter:yyyy-MM-dd}"
            : now < certificate.NotBefore ? $"it is not valid before {certificate.NotBefore:yyyy-MM-dd}"
            : nameOnly ? $"it was issued for {certificate.Subject}, not {c.Endpoint.Host}"
            : "it is self-signed or issued by an authority this server does not trust";
        var described = $"subject {certificate.Subject}, issuer {certificate.Issuer}, SHA-256 {certificate.Sha256}";
        return new(ConnectionFailureKind.CertificateNotTrusted, c.Stage,
            changed
                ? $"The server's certificate changed since you trusted it, and the new one is not trusted ({reason})."
                : $"The server's certificate is not trusted: {reason}.",
            nameOnly && !changed ? p.HostField : null,
            changed
                ? "If the certificate was renewed on purpose, compare the new SHA-256 fingerprint with the one your provider gives you and trust it again. Otherwise someone may be intercepting the connection."
                : nameOnly
                    ? $"Use the host name the certificate was issued for in {p.HostLabel}, or trust this certificate if you know it is the server's."
                    : "If you expected this certificate (for example a self-signed certificate on your own server), compare its SHA-256 fingerprint with the one your provider gives you, then choose Trust this certificate.",
            (changed
                ? $"The certificate of {c.Endpoint.Address} changed since it was trusted, and the new one is not trusted ({described}). "
                : $"The certificate of {c.Endpoint.Address} is not trusted ({described}). ")
            + $"Open {c.Endpoint.Record}, run Test Connection and trust the certificate if it is the right one.",
            Certificate: certificate,
            PinnedCertificateChanged: changed);
    }

    /// <summary>The grant is dead: the card's Reconnect signs in again; nothing else helps.</summary>
    public static MailFailure ReconnectNeeded(MailConnection c, OAuthReconnectNeededException dead) =>
        new(ConnectionFailureKind.ReconnectNeeded, c.Stage,
            $"Reconnect needed: {dead.ProviderDisplayName} no longer accepts the sign-in ({dead.Reason}).",
            null,
            $"Sign in with {dead.ProviderDisplayName} again.",
            $"Reconnect needed: {dead.ProviderDisplayName} no longer accepts the sign-in of {c.Endpoint.Record} ({dead.Reason}). Use Reconnect on its card to sign in again.");

    private static MailFailure TokenUnavailable(MailConnection c, OAuthTokenUnavailableException error) =>
        new(ConnectionFailureKind.TokenUnavailable, c.Stage, error.Message, null,
            "Try again in a few minutes; if it persists, check the provider's settings (OAuth:Providers).",
            $"No access token for {c.Endpoint.Record}: {error.Message}");

    private static MailFailure SignInFailed(MailConnection c, Exception error)
    {
        var p = c.Protocol;
        var user = c.Credential?.Username;
        if (c.Credential is OAuth2Credential oauth && error is AuthenticationException or SaslException)
        {
            return new(ConnectionFailureKind.AuthenticationFailed, c.Stage,
                $"The server rejected the OAuth2 sign-in as \"{user}\" with a fresh token from {oauth.ProviderDisplayName}.",
                p.UsernameField,
                $"Check {p.UsernameLabel}: it must be the mailbox the signed-in account may open, and {p.Name} must be enabled for it at the provider.",
                $"{ServerAt(c)} rejected the OAuth2 sign-in as \"{user}\": {Sentence(error.Message)} Check the {p.UsernameLabel} of {c.Endpoint.Record}; {p.Name} access must be enabled for that mailbox.",
                error.Message);
        }
        return error switch
        {
            AuthenticationException or SaslException => new(ConnectionFailureKind.AuthenticationFailed, c.Stage,
                $"The server rejected the sign-in as \"{user}\".",
                p.PasswordField,
                $"Check {p.UsernameLabel} and {p.PasswordLabel}. Some providers need an app password, or {p.Name} sign-in enabled for the mailbox.",
                // Worded as admins know them from the account card and the email log.
                (p == ConnectionProtocol.Imap
                    ? $"The {p.ServerNoun} rejected the username or password for \"{user}\" at {c.Endpoint.Address}: {Sentence(error.Message)}"
                    : $"{ServerAt(c)} refused the login for user \"{user}\": {Sentence(error.Message)}")
                + $" Check the {p.UsernameLabel} and {p.PasswordLabel} of {c.Endpoint.Record}.",
                error.Message),
            NotSupportedException => Refusal(c, ConnectionFailureKind.AuthenticationMechanismNotSupported,
                "does not offer a sign-in method this portal supports.",
                p.UsernameField,
                "Ask the mail provider for password sign-in (PLAIN or LOGIN) over TLS."),
            CommandException when !c.Secure => new(ConnectionFailureKind.AuthenticationMechanismNotSupported, c.Stage,
                $"The server refused sign-in on an unencrypted connection: {Reason(error)}",
                p.TlsField,
                $"Turn on {p.TlsLabel}.",
                $"{ServerAt(c)} refused sign-in on an unencrypted connection: {Sentence(Reason(error))} Turn on {p.TlsLabel} for {c.Endpoint.Record}.",
                ServerReply(error)),
            CommandException => new(ConnectionFailureKind.ServerError, c.Stage,
                $"The server refused the sign-in: {Reason(error)}",
                p.UsernameField,
                $"Check {p.UsernameLabel}; the mailbox may be disabled.",
                $"{ServerAt(c)} refused the sign-in: {Sentence(Reason(error))}",
                ServerReply(error)),
            _ => Lost(c, "during sign-in", error),
        };
    }

    private static MailFailure MailboxFailed(MailConnection c, Exception error)
    {
        var p = c.Protocol;
        var user = c.Credential?.Username;
        return error is CommandException or FolderNotFoundException
            ? new(ConnectionFailureKind.MailboxUnavailable, c.Stage,
                $"Signed in as \"{user}\", but INBOX could not be opened: {Reason(error)}",
                p.UsernameField,
                $"Check that {p.UsernameLabel} is the mailbox to sync; the mailbox may be disabled.",
                $"Signed in to the {p.ServerNoun} {c.Endpoint.Address} as \"{user}\", but INBOX could not be opened: {Sentence(Reason(error))}",
                ServerReply(error))
            : Lost(c, "while opening INBOX", error);
    }

    private static MailFailure WorkFailed(MailConnection c, Exception error) => error is CommandException
        ? new(ConnectionFailureKind.ServerError, c.Stage,
            $"The server refused a command {c.WorkPhrase}: {Reason(error)}",
            null,
            "Try again later; if it persists, contact the mail provider.",
            $"{ServerAt(c)} refused a command {c.WorkPhrase}: {Sentence(Reason(error))}",
            ServerReply(error))
        : Lost(c, c.WorkPhrase, error);

    private static MailFailure Scrubbed(MailConnection c, MailFailure failure)
    {
        var s = c.Scrubber;
        return failure with
        {
            Summary = s.Scrub(failure.Summary),
            Hint = s.Scrub(failure.Hint),
            Message = s.Scrub(failure.Message),
            ServerReply = s.Scrub(failure.ServerReply),
            Detail = s.Scrub(failure.Detail),
        };
    }

    /// <summary>"The mail server smtp.example.com:587", "The IMAP server imap.example.com:993".</summary>
    private static string ServerAt(MailConnection c) => $"The {c.Protocol.ServerNoun} {c.Endpoint.Address}";

    /// <summary>The stage as messages outside the dialog name it.</summary>
    private static string During(MailConnection c) => c.Stage switch
    {
        ConnectionStage.Resolving or ConnectionStage.Connecting or ConnectionStage.Handshake => "while connecting",
        ConnectionStage.Authenticating => "while logging in",
        ConnectionStage.OpeningMailbox => "while opening INBOX",
        ConnectionStage.Working => c.WorkPhrase,
        _ => "while closing the connection",
    };

    /// <summary>The stage as the dialog names it.</summary>
    private static string StageText(MailConnection c) => c.Stage switch
    {
        ConnectionStage.Authenticating => "during sign-in",
        ConnectionStage.OpeningMailbox => "while opening INBOX",
        ConnectionStage.Working => c.WorkPhrase,
        ConnectionStage.Disconnecting => "while closing the connection",
        _ => "during the handshake",
    };

    private static string? ServerReply(Exception error) => error switch
    {
        SmtpCommandException smtp => $"{(int)smtp.StatusCode} {smtp.Message}".Trim(),
        ImapCommandException imap => string.IsNullOrWhiteSpace(imap.ResponseText) ? imap.Message : imap.ResponseText,
        _ => Reason(error),
    };

    public static bool IsTimeout(Exception error)
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
    public static string Reason(Exception error)
    {
        var message = error.Message;
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            message = e.Message;
        }
        return error is SocketException socket ? $"{socket.SocketErrorCode}: {message}" : message;
    }

    /// <summary>Ends a server's or the runtime's text with a full stop, so a sentence can follow.</summary>
    public static string Sentence(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length == 0 || trimmed.EndsWith('.') || trimmed.EndsWith('!') || trimmed.EndsWith('?') ? trimmed : trimmed + ".";
    }

    /// <summary>Exception types and messages, outermost first; no stack traces.</summary>
    public static string Describe(Exception error)
    {
        var text = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text.Append(e.GetType().FullName).Append(": ").AppendLine(e.Message);
        }
        return text.ToString().TrimEnd();
    }
}
