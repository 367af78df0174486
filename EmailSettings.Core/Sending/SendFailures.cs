using EmailSettings.Core.Connections;
using MailKit;
using MailKit.Net.Smtp;

namespace EmailSettings.Core.Sending;

/// <summary>
/// How a failed send is worded in the email log and the dialog: the connection layer's classification in send's kinds,
/// plus what only sending meets (the server refusing the sender, a recipient or the message).
/// </summary>
internal static class SendFailures
{
    public const string NothingSent = " Nothing was sent.";
    public const string MaybeSent = " The server may or may not have accepted the message; check with the recipient before sending again.";

    public sealed record Failure(SendFailureKind Kind, string Message, string? Response);

    /// <summary>Null when <paramref name="error"/> is not a mail or network failure.</summary>
    public static Failure? Classify(MailConnection connection, Exception error)
    {
        if (connection.Stage == ConnectionStage.Working && error is SmtpCommandException command)
        {
            return Refused(command);
        }
        if (connection.Classify(error) is not { } failure)
        {
            return null;
        }
        var described = From(failure);
        // A server that breaks the protocol is told apart from a dropped connection, as callers have known it.
        return failure.Kind == ConnectionFailureKind.ConnectionLost
            && error is ProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException
            ? described with { Kind = SendFailureKind.Protocol }
            : described;
    }

    public static Failure From(MailFailure failure) => new(KindOf(failure.Kind), failure.Message + Outcome(failure), failure.ServerReply);

    public static SendFailureKind KindOf(ConnectionFailureKind kind) => kind switch
    {
        ConnectionFailureKind.TimedOut => SendFailureKind.Timeout,
        ConnectionFailureKind.CertificateNotTrusted => SendFailureKind.Certificate,
        ConnectionFailureKind.TlsHandshakeFailed or ConnectionFailureKind.StartTlsNotOffered
            or ConnectionFailureKind.PortTlsMismatch => SendFailureKind.Tls,
        ConnectionFailureKind.AuthenticationFailed or ConnectionFailureKind.AuthenticationMechanismNotSupported
            or ConnectionFailureKind.PasswordRequired => SendFailureKind.Authentication,
        ConnectionFailureKind.HostNotFound or ConnectionFailureKind.ConnectionRefused or ConnectionFailureKind.HostUnreachable
            or ConnectionFailureKind.ConnectionLost or ConnectionFailureKind.NotAMailServer => SendFailureKind.Connection,
        ConnectionFailureKind.Cancelled => SendFailureKind.Cancelled,
        ConnectionFailureKind.ReconnectNeeded => SendFailureKind.ReconnectNeeded,
        ConnectionFailureKind.SignInRequired => SendFailureKind.Authentication,
        ConnectionFailureKind.TokenUnavailable => SendFailureKind.Connection,
        _ => SendFailureKind.Protocol,
    };

    /// <summary>
    /// Whether anything can have been sent: not before DATA, and not when the server refused a command; once DATA
    /// has started, a dropped connection leaves it open whether the server kept the message. Failures to reach the
    /// server say nothing, as nothing could have been sent.
    /// </summary>
    private static string Outcome(MailFailure failure) =>
        !failure.Reached ? ""
        : failure.Stage == ConnectionStage.Working && failure.Kind != ConnectionFailureKind.ServerError ? MaybeSent
        : NothingSent;

    private static Failure Refused(SmtpCommandException command)
    {
        var reply = $"{(int)command.StatusCode} {command.Message}".Trim();
        var said = reply.TrimEnd('.');
        return command.ErrorCode switch
        {
            SmtpErrorCode.RecipientNotAccepted => new(SendFailureKind.RecipientRejected,
                $"The mail server refused the recipient {command.Mailbox?.Address}: {said}.{NothingSent}", reply),
            SmtpErrorCode.SenderNotAccepted => new(SendFailureKind.SenderRejected,
                $"The mail server refused the sender address {command.Mailbox?.Address}: {said}.{NothingSent}", reply),
            SmtpErrorCode.MessageNotAccepted => new(SendFailureKind.MessageRejected,
                $"The mail server refused the message: {said}.{NothingSent}", reply),
            _ => new(SendFailureKind.Protocol, $"The mail server answered with an error: {said}.{NothingSent}", reply),
        };
    }
}
