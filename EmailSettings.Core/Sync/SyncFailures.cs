using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.OAuth;

namespace EmailSettings.Core.Sync;

/// <summary>How a failed sync is worded on the account card: the connection layer's classification in sync's kinds.</summary>
internal static class SyncFailures
{
    /// <summary>The column holds at most this many characters.</summary>
    public const int MaxErrorLength = FieldRules.ErrorTextMaxLength;

    /// <summary>Turns what went wrong into something the admin can act on. Never includes the password.</summary>
    public static (SyncErrorKind Kind, string Message) Describe(Exception error, SecretScrubber scrubber)
    {
        if (error is ConnectionFailedException { Failure: var failure })
        {
            var message = failure.Kind == ConnectionFailureKind.ConnectionLost
                ? $"{failure.Message} It continues where it stopped on the next run."
                : failure.Message;
            return (KindOf(failure.Kind), Cut(message));
        }
        if (error is FoldersNotFoundException missing)
        {
            return (SyncErrorKind.Other, Cut(missing.Message));
        }
        if (error is OAuthReconnectNeededException dead)
        {
            // Found before connecting: the grant was already dead, so neither the provider nor the server was asked.
            return (SyncErrorKind.ReconnectNeeded, Cut(scrubber.Scrub(dead.Message)));
        }
        return (SyncErrorKind.Other, Cut(scrubber.Scrub($"The sync failed: {error.Message}")));
    }

    public static SyncErrorKind KindOf(ConnectionFailureKind kind) => kind switch
    {
        ConnectionFailureKind.AuthenticationFailed or ConnectionFailureKind.AuthenticationMechanismNotSupported
            or ConnectionFailureKind.PasswordRequired => SyncErrorKind.AuthenticationFailed,
        ConnectionFailureKind.HostNotFound or ConnectionFailureKind.ConnectionRefused
            or ConnectionFailureKind.HostUnreachable => SyncErrorKind.HostUnreachable,
        ConnectionFailureKind.TimedOut => SyncErrorKind.TimedOut,
        ConnectionFailureKind.CertificateNotTrusted or ConnectionFailureKind.TlsHandshakeFailed
            or ConnectionFailureKind.StartTlsNotOffered or ConnectionFailureKind.PortTlsMismatch => SyncErrorKind.Tls,
        ConnectionFailureKind.ConnectionLost => SyncErrorKind.ConnectionLost,
        ConnectionFailureKind.Cancelled => SyncErrorKind.Cancelled,
        ConnectionFailureKind.ReconnectNeeded => SyncErrorKind.ReconnectNeeded,
        ConnectionFailureKind.SignInRequired => SyncErrorKind.AuthenticationFailed,
        ConnectionFailureKind.TokenUnavailable => SyncErrorKind.HostUnreachable,
        _ => SyncErrorKind.Other,
    };

    private static string Cut(string message) => message.Length <= MaxErrorLength ? message : message[..MaxErrorLength];

    /// <summary>
    /// Folders the account syncs that the server does not list any more (deleted or renamed there). The other folders
    /// were synced; the missing ones keep their stored messages until the admin chooses the account's folders again.
    /// </summary>
    public sealed class FoldersNotFoundException(IReadOnlyList<string> names) : Exception(Describe(names))
    {
        public IReadOnlyList<string> Names { get; } = names;

        private static string Describe(IReadOnlyList<string> names) =>
            (names.Count == 1 ? $"The folder \"{names[0]}\" was not found on the server" : $"The folders {string.Join(", ", names.Select(n => $"\"{n}\""))} were not found on the server")
            + "; the other folders were synced. Edit the account and choose its folders again (List folders).";
    }

    /// <summary>Carries the layer's classification out of the session to where the outcome is recorded.</summary>
    public sealed class ConnectionFailedException(MailFailure failure, Exception? inner = null)
        : Exception(failure.Message, inner)
    {
        public MailFailure Failure { get; } = failure;
    }
}
