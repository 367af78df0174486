using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;

namespace EmailSettings.Core.EmailAccounts;

/// <summary>An email address of a tenant: outbound through a mail server, optionally inbound through IMAP.</summary>
public sealed class EmailAccount
{
    public const int DefaultImapPort = 993;

    public int Id { get; set; }
    public Guid TenantId { get; set; }
    public string EmailAddress { get; set; } = "";

    /// <summary>Upper-cased address: the per-tenant uniqueness key, so addresses differing only in case collide.</summary>
    public string NormalizedEmailAddress { get; set; } = "";

    public string DisplayName { get; set; } = "";

    /// <summary>Null when the server was deleted: the account stays, without outbound capability.</summary>
    public int? MailServerId { get; set; }
    public MailServer? MailServer { get; set; }

    public bool IsDefault { get; set; }

    public string? ImapHost { get; set; }
    public int ImapPort { get; set; } = DefaultImapPort;
    public string? ImapUsername { get; set; }

    /// <summary>The IMAP password, encrypted with Data Protection; never plaintext.</summary>
    public string? ImapPasswordProtected { get; set; }

    /// <summary>Password (with <see cref="ImapPasswordProtected"/>) or OAuth2 (with the grant attached to this account).</summary>
    public SignInMethod ImapSignInMethod { get; set; }

    /// <summary>The OAuth2 provider's configuration name when <see cref="ImapSignInMethod"/> is OAuth2.</summary>
    public string? ImapOAuthProvider { get; set; }

    public bool ImapUseTls { get; set; } = true;
    public string? ImapPinnedCertificateSha256 { get; set; }

    /// <summary>"Push (IDLE)": keep an idle connection on INBOX so new mail syncs within seconds (when the server offers IDLE).</summary>
    public bool PushEnabled { get; set; } = true;

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    // Sync state, written by the IMAP sync.
    public DateTime? LastSyncStartedAt { get; set; }
    public DateTime? LastSyncSucceededAt { get; set; }
    public DateTime? LastSyncFailedAt { get; set; }
    public string? LastSyncError { get; set; }
    public string? LastSyncErrorKind { get; set; }
    public DateTime? FailingSince { get; set; }
    public int ConsecutiveSyncFailures { get; set; }

    /// <summary>
    /// Messages the last successful sync added. With the timestamps above it is the whole outcome of the last run, so
    /// a node that waited for another node's run reports the same outcome without having run it.
    /// </summary>
    public int LastSyncNewMessages { get; set; }

    /// <summary>
    /// Set when scheduled syncs paused after failing for <c>Sync:PauseAfter</c>; they resume when an admin syncs the
    /// account by hand or edits it (<see cref="UpdatedAt"/> after this), or a sync works again.
    /// </summary>
    public DateTime? SyncPausedAt { get; set; }

    /// <summary>When an admin last lifted a pause: the next pause needs another <c>Sync:PauseAfter</c> of failures from here.</summary>
    public DateTime? SyncResumedAt { get; set; }

    // The position of each synced folder (UIDVALIDITY, last UID, HIGHESTMODSEQ) is in SyncFolders, one row per folder.

    /// <summary>
    /// True when host, username and a secret are set, so the account can be synced: the password, or OAuth2 chosen
    /// (its grant is attached when the dialog saves; a dead one stops the scheduled syncs, see <c>SyncScheduler</c>).
    /// </summary>
    public bool IsImapConfigured =>
        !string.IsNullOrWhiteSpace(ImapHost) && !string.IsNullOrWhiteSpace(ImapUsername)
        && (ImapPasswordProtected is not null || ImapSignInMethod == SignInMethod.OAuth2);

    /// <summary>The database form of <see cref="IsImapConfigured"/>, for queries.</summary>
    public static System.Linq.Expressions.Expression<Func<EmailAccount, bool>> ImapConfigured { get; } = a =>
        a.ImapHost != null && a.ImapUsername != null
        && (a.ImapPasswordProtected != null || a.ImapSignInMethod == SignInMethod.OAuth2);
}
