using EmailSettings.Core.Common;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sync;
using EmailSettings.Core.OAuth;

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

    /// <summary>
    /// The folders to sync, by full name as the server lists them (the dialog's List folders), each with its own sync
    /// state. INBOX unless the admin chooses others. Replaced as a whole, never changed in place, so a copy stays put.
    /// </summary>
    public IReadOnlyList<string> Folders { get; set; } = [SyncFolder.Inbox];

    /// <summary>Password (default) or OAuth2 with <see cref="ImapOAuthProvider"/>.</summary>
    public SignInMethod ImapSignInMethod { get; set; }

    /// <summary>The configured provider's name when signing in with OAuth2.</summary>
    public string? ImapOAuthProvider { get; set; }

    /// <summary>A completed sign-in of this dialog, attached when the dialog saves; null keeps the account's current one.</summary>
    public Guid? ImapOAuthGrantId { get; set; }

    /// <summary>The sign-in the dialog shows: the saved one, or the one just completed (never a token).</summary>
    public OAuthGrantInfo? ImapOAuthGrant { get; set; }

    /// <summary>"Push (IDLE)": new mail syncs within seconds when the IMAP server offers IDLE. On by default.</summary>
    public bool PushEnabled { get; set; } = true;

    /// <summary>True when editing an account that already has a stored IMAP password (read-only information).</summary>
    public bool HasStoredImapPassword { get; init; }

    /// <summary>
    /// The Add Email Account dialog's starting values, with the server it preselects (<see cref="PreselectedServerId"/>).
    /// </summary>
    public static EmailAccountInput ForNewAccount(IReadOnlyCollection<MailServerSummary> servers) =>
        new() { MailServerId = PreselectedServerId(servers) };

    /// <summary>
    /// The server a new account sends through unless the admin picks another: the tenant's default server; without a
    /// default (it was deleted), the only server if there is just one; otherwise none, so the admin chooses rather than
    /// getting whichever server happens to sort first.
    /// </summary>
    public static int? PreselectedServerId(IReadOnlyCollection<MailServerSummary> servers) =>
        servers.FirstOrDefault(s => s.IsDefault)?.Id ?? (servers.Count == 1 ? servers.First().Id : null);

    /// <summary>
    /// A copy that keeps its values while the dialog's own input goes on changing (every member is a value, or the
    /// folder list, which is replaced rather than changed).
    /// </summary>
    public EmailAccountInput Copy() => (EmailAccountInput)MemberwiseClone();

    /// <summary>Checks the fields on their own; rules that need the database (server, duplicates) are the service's.</summary>
    public Dictionary<string, string> Validate(bool isCreate, bool hasStoredImapPassword = false)
    {
        var errors = new Dictionary<string, string>();
        if (isCreate)
        {
            Add(errors, nameof(EmailAddress), FieldRules.Email(EmailAddress, FieldLabels.EmailAddress));
        }
        Add(errors, nameof(DisplayName), FieldRules.Required(DisplayName, FieldLabels.DisplayName)
            ?? FieldRules.MaxLength(DisplayName.Trim(), FieldRules.NameMaxLength, FieldLabels.DisplayName));
        if (MailServerId is null)
        {
            errors[nameof(MailServerId)] = "Select the mail server to send through.";
        }
        Add(errors, nameof(ImapPort), FieldRules.Port(ImapPort, FieldLabels.ImapPort));
        Add(errors, nameof(ImapUsername), FieldRules.MaxLength(ImapUsername?.Trim(), FieldRules.UsernameMaxLength, FieldLabels.ImapUsername));
        Add(errors, nameof(ImapPassword), FieldRules.MaxLength(ImapPassword, FieldRules.PasswordMaxLength, FieldLabels.ImapPassword));
        Add(errors, nameof(Folders), CheckFolders(Folders));

        if (ImapSignInMethod == SignInMethod.OAuth2)
        {
            // OAuth2 is chosen for IMAP, so IMAP is meant: host, the mailbox's name and a sign-in are needed.
            Add(errors, nameof(ImapHost), FieldRules.Host(ImapHost, FieldLabels.ImapHost, FieldLabels.ImapPort));
            OAuthSignInRules.Check(errors, ImapOAuthProvider, ImapOAuthGrantId, ImapOAuthGrant, ImapUsername, nameof(ImapUsername),
                $"{FieldLabels.ImapUsername} is the mailbox that signs in with OAuth2 (usually the signed-in address).",
                nameof(ImapOAuthProvider), nameof(ImapOAuthGrantId));
            return errors;
        }
        var hasPassword = !string.IsNullOrEmpty(ImapPassword) || (hasStoredImapPassword && !string.IsNullOrWhiteSpace(ImapUsername));
        if (!string.IsNullOrWhiteSpace(ImapHost) || !string.IsNullOrWhiteSpace(ImapUsername) || !string.IsNullOrEmpty(ImapPassword))
        {
            // IMAP is optional, but half a configuration cannot sync: ask for the rest.
            Add(errors, nameof(ImapHost), FieldRules.Host(ImapHost, FieldLabels.ImapHost, FieldLabels.ImapPort));
            if (string.IsNullOrWhiteSpace(ImapUsername))
            {
                errors.TryAdd(nameof(ImapUsername), $"{FieldLabels.ImapUsername} is required to sync incoming email.");
            }
            if (!hasPassword)
            {
                errors.TryAdd(nameof(ImapPassword), $"{FieldLabels.ImapPassword} is required to sync incoming email.");
            }
        }
        return errors;
    }

    public string? PortTlsHint => (ImapPort, ImapUseTls) switch
    {
        (993, false) => $"Port 993 expects TLS: turn on {FieldLabels.ImapUseTls}.",
        (143, false) => "Without TLS the password travels unencrypted; most servers offer STARTTLS on 143.",
        _ => null,
    };

    /// <summary>The folders as stored: INBOX spelled as IMAP spells it, each once, in the order they are shown.</summary>
    public IReadOnlyList<string> NormalizedFolders() =>
        [.. SyncFolder.InDisplayOrder(Folders.Select(SyncFolder.Normalize).Distinct(StringComparer.Ordinal), f => f)];

    private static string? CheckFolders(IReadOnlyList<string>? folders)
    {
        if (folders is null || folders.Count == 0)
        {
            return $"Choose at least one folder to sync ({SyncFolder.Inbox} is the usual one).";
        }
        if (folders.Count > FieldRules.MaxSyncFolders)
        {
            return $"Choose at most {FieldRules.MaxSyncFolders} folders to sync.";
        }
        if (folders.Any(string.IsNullOrWhiteSpace))
        {
            return "A folder to sync has no name. Choose the folders again with List folders.";
        }
        if (folders.FirstOrDefault(f => f.Length > FieldRules.FolderNameMaxLength) is { } tooLong)
        {
            return $"The folder name \"{tooLong[..40]}…\" is longer than {FieldRules.FolderNameMaxLength} characters.";
        }
        var twice = folders.Select(SyncFolder.Normalize).GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? null : $"The folder \"{twice.Key}\" is chosen twice.";
    }

    private static void Add(Dictionary<string, string> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = message;
        }
    }
}

/// <summary>An account as the page lists it: no password, only whether one is stored; for OAuth2 its grant, never a token.</summary>
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
    int MessageCount,
    SignInMethod ImapSignInMethod = SignInMethod.Password,
    string? ImapOAuthProvider = null,
    OAuthGrantInfo? ImapOAuth = null)
{
    /// <summary>"Push (IDLE)" is on for the account.</summary>
    public bool PushEnabled { get; init; } = true;

    /// <summary>The problems announced to the tenant admins and not cleared yet (a failing sync, a reconnect needed).</summary>
    public IReadOnlyList<Alerts.AccountProblem> Problems { get; init; } = [];

    /// <summary>When scheduled syncs paused after failing for long; null while they run.</summary>
    public DateTime? SyncPausedAt { get; init; }

    /// <summary>Problems and pause together, as the card's warning shows them.</summary>
    public Alerts.AccountHealth Health => Problems.Count == 0 && SyncPausedAt is null ? Alerts.AccountHealth.Healthy : new(Problems, SyncPausedAt);

    public bool IsImapConfigured => !string.IsNullOrWhiteSpace(ImapHost) && !string.IsNullOrWhiteSpace(ImapUsername)
        && (HasImapPassword || ImapSignInMethod == SignInMethod.OAuth2);

    /// <summary>True when the account's OAuth2 grant died: scheduled syncs are stopped until an admin signs in again.</summary>
    public bool ReconnectNeeded => ImapSignInMethod == SignInMethod.OAuth2 && ImapOAuth is { ReconnectNeeded: true };

    public bool HasMailServer => MailServerId is not null;
}
