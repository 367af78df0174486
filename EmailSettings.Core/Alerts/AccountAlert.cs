namespace EmailSettings.Core.Alerts;

/// <summary>What is wrong with an email account, as the tenant admins are told about it.</summary>
public enum AccountProblemKind
{
    /// <summary>Its IMAP sync has failed too often or for too long (<c>Sync:AlertAfterFailures</c>, <c>Sync:AlertAfter</c>).</summary>
    SyncFailing,

    /// <summary>Its sign-in needs the admin: an OAuth grant was revoked or expired and must be connected again.</summary>
    ReconnectNeeded,
}

/// <summary>
/// A problem of an account that was announced to the tenant admins and has not been cleared yet. The row is the
/// memory that the announcement went out: while it exists the problem is not announced again (not after a restart
/// either), and deleting it is what sends the one "works again" notice.
/// </summary>
public sealed class AccountAlert
{
    public int Id { get; set; }
    public Guid TenantId { get; set; }
    public int EmailAccountId { get; set; }
    public AccountProblemKind Kind { get; set; }

    /// <summary>The reason as announced (scrubbed, like every stored sync error).</summary>
    public string Reason { get; set; } = "";

    /// <summary>Since when the problem exists (for a failing sync: the account's FailingSince).</summary>
    public DateTime Since { get; set; }

    /// <summary>When the admins were told.</summary>
    public DateTime RaisedAt { get; set; }
}

/// <summary>An announced problem, as cards and the messages page show it.</summary>
public sealed record AccountProblem(AccountProblemKind Kind, string Reason, DateTime Since, DateTime RaisedAt);

/// <summary>The announced problems of an account and whether its scheduled syncs are paused.</summary>
public sealed record AccountHealth(IReadOnlyList<AccountProblem> Problems, DateTime? SyncPausedAt)
{
    public static readonly AccountHealth Healthy = new([], null);

    public bool IsPaused => SyncPausedAt is not null;

    public bool IsHealthy => Problems.Count == 0 && !IsPaused;
}
