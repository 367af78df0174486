using EmailSettings.Core.Common;

namespace EmailSettings.Core.EmailAccounts;

/// <summary>What the Add/Edit Email Account dialog binds to. Never carries a stored password back out.</summary>
public sealed class EmailAccountInput
{
    /// <summary>Set on create only: the address cannot change afterwards.</summary>
    public string EmailAddress { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public int? MailServerId { get; set; }
    public bool IsDefault { get; set; }

    public string? ImapHost { get; set; }
    public int ImapPort { get; set; } = EmailAccount.DefaultImapPort;
    public string? ImapUsername { get; set; }

    /// <summary>A new password; blank on edit keeps the stored one.</summary>
    public string? ImapPassword { get; set; }

    public bool ImapUseTls { get; set; } = true;
    public string? ImapPinnedCertificateSha256 { get; set; }

    /// <summary>True when editing an account that already has a stored IMAP password (read-only information).</summary>
    public bool HasStoredImapPassword { get; init; }

    /// <summary>Checks the fields on their own; rules that need the database (server, duplicates) are the service's.</summary>
    /// <summary>A copy that keeps its values while the dialog's own input goes on changing (every member is a value).</summary>
    public EmailAccountInput Copy() => (EmailAccountInput)MemberwiseClone();

    public Dictionary<string, string> Validate(bool isCreate, bool hasStoredImapPassword = false)
    {
        var errors = new Dictionary<string, string>();
        if (isCreate)
        {
            Add(errors, nameof(EmailAddress), FieldRules.Email(EmailAddress, "Email Address"));
        }
        Add(errors, nameof(DisplayName), FieldRules.Required(DisplayName, "Display Name")
            ?? FieldRules.MaxLength(DisplayName.Trim(), FieldRules.NameMaxLength, "Display Name"));
        if (MailServerId is null)
        {
            errors[nameof(MailServerId)] = "Select the mail server to send through.";
        }
        Add(errors, nameof(ImapPort), FieldRules.Port(ImapPort, "IMAP Port"));
        Add(errors, nameof(ImapUsername), FieldRules.MaxLength(ImapUsername?.Trim(), FieldRules.UsernameMaxLength, "IMAP Username"));
        Add(errors, nameof(ImapPassword), FieldRules.MaxLength(ImapPassword, FieldRules.PasswordMaxLength, "IMAP Password"));

        var hasPassword = !string.IsNullOrEmpty(ImapPassword) || (hasStoredImapPassword && !string.IsNullOrWhiteSpace(ImapUsername));
        if (!string.IsNullOrWhiteSpace(ImapHost) || !string.IsNullOrWhiteSpace(ImapUsername) || !string.IsNullOrEmpty(ImapPassword))
        {
            // IMAP is optional, but half a configuration cannot sync: ask for the rest.
            Add(errors, nameof(ImapHost), FieldRules.Host(ImapHost, "IMAP Host", "IMAP Port"));
            if (string.IsNullOrWhiteSpace(ImapUsername))
            {
                errors.TryAdd(nameof(ImapUsername), "IMAP Username is required to sync incoming email.");
            }
            if (!hasPassword)
            {
                errors.TryAdd(nameof(ImapPassword), "IMAP Password is required to sync incoming email.");
            }
        }
        return errors;
    }

    public string? PortTlsHint => (ImapPort, ImapUseTls) switch
    {
        (993, false) => "Port 993 expects TLS: turn on Use TLS/SSL.",
        (143, false) => "Without TLS the password travels unencrypted; most servers offer STARTTLS on 143.",
        _ => null,
    };

    private static void Add(Dictionary<string, string> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = message;
        }
    }
}

/// <summary>An account as the page lists it: no password, only whether one is stored.</summary>
public sealed record EmailAccountSummary(
    int Id,
    string EmailAddress,
    string DisplayName,
    int? MailServerId,
    string? MailServerName,
    bool IsDefault,
    string? ImapHost,
    int ImapPort,
    string? ImapUsername,
    bool ImapUseTls,
    bool HasImapPassword,
    string? ImapPinnedCertificateSha256,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? LastSyncStartedAt,
    DateTime? LastSyncSucceededAt,
    DateTime? LastSyncFailedAt,
    string? LastSyncError,
    string? LastSyncErrorKind,
    DateTime? FailingSince,
    int ConsecutiveSyncFailures,
    int MessageCount)
{
    public bool IsImapConfigured => !string.IsNullOrWhiteSpace(ImapHost) && !string.IsNullOrWhiteSpace(ImapUsername) && HasImapPassword;
    public bool HasMailServer => MailServerId is not null;
}
