using EmailSettings.Core.Common;

namespace EmailSettings.Core.Messages;

/// <summary>A message pulled from an account's INBOX by the IMAP sync. Unique per account, UIDVALIDITY and UID.</summary>
public sealed class SyncedMessage
{
    public const int PreviewLength = FieldRules.PreviewMaxLength;

    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public int EmailAccountId { get; set; }
    public long UidValidity { get; set; }
    public long Uid { get; set; }
    public string? MessageId { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string Subject { get; set; } = "";
    public DateTime? Date { get; set; }
    public long Size { get; set; }
    public bool IsSeen { get; set; }
    public string Preview { get; set; } = "";
    public DateTime SyncedAt { get; set; }
}
