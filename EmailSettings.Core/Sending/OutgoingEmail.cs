using EmailSettings.Core.Common;

namespace EmailSettings.Core.Sending;

/// <summary>
/// A message to send. Without <see cref="AccountId"/> it goes out through the tenant's default account.
/// At least one of <see cref="TextBody"/> and <see cref="HtmlBody"/> should be set; both give a multipart/alternative message.
/// </summary>
public sealed record OutgoingEmail(
    IReadOnlyList<string> To,
    string Subject,
    string? TextBody = null,
    string? HtmlBody = null,
    int? AccountId = null)
{
    public const int MaxRecipients = 100;
    public const int SubjectMaxLength = FieldRules.HeaderLineMaxLength;

    /// <summary>The label of the recipient field of Send test email, as its messages name it.</summary>
    public const string RecipientLabel = "Recipient";

    /// <summary>The message of Send test email on an account card.</summary>
    public static OutgoingEmail TestMessage(int accountId, string accountName, string recipient, DateTime sentAtUtc) => new(
        [recipient.Trim()],
        $"Test email from {accountName}",
        $"""
        This is a test email sent from the Email Settings page of the admin portal.

        Account: {accountName}
        Sent at: {sentAtUtc:yyyy-MM-dd HH:mm:ss} UTC

        If you received it, the account can send email.
        """,
        AccountId: accountId);

    /// <summary>The first problem with the message itself, or null when it can be sent.</summary>
    public string? Validate()
    {
        if (To is null || To.Count == 0)
        {
            return "Add at least one recipient.";
        }
        if (To.Count > MaxRecipients)
        {
            return $"A message can have at most {MaxRecipients} recipients.";
        }
        foreach (var recipient in To)
        {
            if (FieldRules.Email(recipient, RecipientLabel) is not null)
            {
                return $"\"{recipient}\" is not a valid email address.";
            }
        }
        if (Subject is null || Subject.Length > SubjectMaxLength)
        {
            return $"The subject must be at most {SubjectMaxLength} characters.";
        }
        if (string.IsNullOrEmpty(TextBody) && string.IsNullOrEmpty(HtmlBody))
        {
            return "The message has no body: set a text or an HTML body.";
        }
        return null;
    }
}
