namespace EmailSettings.Core.Sending;

/// <summary>Why a send failed, for callers that react differently (the UI only shows <see cref="SendResult.ErrorMessage"/>).</summary>
public enum SendFailureKind
{
    InvalidMessage,
    NoDefaultAccount,
    AccountNotFound,
    NoMailServer,
    PasswordUnreadable,
    Connection,
    Timeout,
    Tls,
    Certificate,
    Authentication,
    SenderRejected,
    RecipientRejected,
    MessageRejected,
    Protocol,
    Cancelled,

    /// <summary>The server's OAuth2 grant is dead: an admin must sign in again (Reconnect on the server's card).</summary>
    ReconnectNeeded,
}

/// <summary>
/// The outcome of one send attempt. Every attempt, failed or not, has a row in the email log (<see cref="LogEntryId"/>).
/// </summary>
public sealed record SendResult
{
    public bool Succeeded { get; init; }

    /// <summary>What went wrong, worded for the admin; null on success. Never contains a password.</summary>
    public string? ErrorMessage { get; init; }

    public SendFailureKind? FailureKind { get; init; }

    /// <summary>The server's last reply: its acceptance of the message, or its refusal.</summary>
    public string? ServerResponse { get; init; }

    /// <summary>The Message-ID header of the message (without angle brackets), once the message was built.</summary>
    public string? MessageId { get; init; }

    /// <summary>The account the message went (or would have gone) out through; null when none could be chosen.</summary>
    public int? AccountId { get; init; }

    public string? FromAddress { get; init; }

    public long LogEntryId { get; init; }
}
