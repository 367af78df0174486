using EmailSettings.Core.Common;

namespace EmailSettings.Core.Messages;

/// <summary>
/// A message pulled from one of an account's folders by the IMAP sync, a read-only mirror of the server's copy:
/// removed when the server expunges it, its flags updated when they change there. Unique per folder, UIDVALIDITY and UID.
/// </summary>
public sealed class SyncedMessage
{
    public const int PreviewLength = FieldRules.PreviewMaxLength;

    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public int EmailAccountId { get; set; }

    /// <summary>The <see cref="Sync.SyncFolder"/> the message is in.</summary>
    public int SyncFolderId { get; set; }
    public long UidValidity { get; set; }
    public long Uid { get; set; }
    public string? MessageId { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string Subject { get; set; } = "";
    public DateTime? Date { get; set; }
    public long Size { get; set; }

    // The system flags worth showing (RFC 3501): read, flagged for follow-up, replied to. \Deleted is not mirrored: a
    // message marked so stays a message until the server expunges it, and then it is removed here. \Draft and
    // \Recent say nothing an admin acts on.
    public bool IsSeen { get; set; }
    public bool IsFlagged { get; set; }
    public bool IsAnswered { get; set; }
    public string Preview { get; set; } = "";
    public DateTime SyncedAt { get; set; }
}
