namespace EmailSettings.Core.Sending;

public enum EmailLogStatus
{
    Sent = 1,
    Failed = 2,
}

/// <summary>One outbound send attempt. Never holds a password or the message body.</summary>
public sealed class EmailLogEntry
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }

    /// <summary>Null once the account is deleted; <see cref="FromAddress"/> keeps what it was.</summary>
    public int? EmailAccountId { get; set; }
    public string FromAddress { get; set; } = "";
    public DateTime AttemptedAt { get; set; }
    public string Recipients { get; set; } = "";
    public string Subject { get; set; } = "";
    public EmailLogStatus Status { get; set; }
    public string? ServerResponse { get; set; }
    public string? Error { get; set; }
    public string? MessageId { get; set; }
}
