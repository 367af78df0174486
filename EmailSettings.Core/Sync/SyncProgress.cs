namespace EmailSettings.Core.Sync;

public enum SyncEventKind
{
    Started,
    Progress,
    Completed,
    Failed,
}

/// <summary>Why a sync failed, so the page can say what to fix.</summary>
public enum SyncErrorKind
{
    AuthenticationFailed,
    HostUnreachable,
    TimedOut,
    Tls,
    ConnectionLost,
    Cancelled,

    /// <summary>The OAuth2 grant is dead: scheduled syncs stop until an admin signs in again (Reconnect).</summary>
    ReconnectNeeded,
    Other,
}

/// <summary>One event of one account's sync, as every open page of the tenant hears it.</summary>
/// <param name="Done">Messages stored so far in this run.</param>
/// <param name="Total">New messages found on the server in this run so far, over the folders looked at (0 until known).</param>
/// <param name="NewMessages">Messages added by the run (on <see cref="SyncEventKind.Completed"/>).</param>
public sealed record SyncProgress(
    Guid TenantId,
    int AccountId,
    SyncEventKind Kind,
    int Done,
    int Total,
    int NewMessages,
    SyncErrorKind? ErrorKind,
    string? Error,
    DateTime At)
{
    /// <summary>Stored messages removed because the server expunged them (on <see cref="SyncEventKind.Completed"/>).</summary>
    public int Removed { get; init; }

    /// <summary>Stored messages whose flags changed on the server (on <see cref="SyncEventKind.Completed"/>).</summary>
    public int Updated { get; init; }

    /// <summary>True when the run changed what the messages page shows: added, removed or re-flagged messages.</summary>
    public bool ChangedMessages => NewMessages > 0 || Removed > 0 || Updated > 0;

    public bool IsRunning => Kind is SyncEventKind.Started or SyncEventKind.Progress;

    /// <summary>"120 of 1,000" while messages are being stored, otherwise null.</summary>
    public string? ProgressText => IsRunning && Total > 0 ? $"{Done:N0} of {Total:N0}" : null;
}

public enum SyncOutcomeStatus
{
    Succeeded,
    Failed,
    /// <summary>A scheduled run skipped: the account backs off after repeated failures, its scheduled syncs are paused, or push keeps it current.</summary>
    Skipped,
    /// <summary>The account does not exist (any more) or belongs to another tenant.</summary>
    NotFound,
    /// <summary>The account has no complete IMAP settings.</summary>
    NotConfigured,
}

/// <summary>The result of one sync run; every caller that joined the run gets the same one.</summary>
public sealed record SyncOutcome(SyncOutcomeStatus Status, int NewMessages = 0, SyncErrorKind? ErrorKind = null, string? Error = null)
{
    /// <summary>Stored messages removed because the server expunged them.</summary>
    public int Removed { get; init; }

    /// <summary>Stored messages whose flags changed on the server.</summary>
    public int Updated { get; init; }

    public bool Succeeded => Status == SyncOutcomeStatus.Succeeded;

    public static SyncOutcome Success(int newMessages) => new(SyncOutcomeStatus.Succeeded, newMessages);
    public static SyncOutcome Failure(SyncErrorKind kind, string error) => new(SyncOutcomeStatus.Failed, 0, kind, error);
    public static readonly SyncOutcome Skipped = new(SyncOutcomeStatus.Skipped);
    public static readonly SyncOutcome NotFound = new(SyncOutcomeStatus.NotFound);
    public static readonly SyncOutcome NotConfigured = new(SyncOutcomeStatus.NotConfigured);
}

/// <summary>
/// Who asked for a sync: scheduled runs respect the failure back-off and the pause, pushes (the server reported new
/// mail on the account's idle connection) only the pause, manual ones neither.
/// </summary>
public enum SyncTrigger
{
    Scheduled,
    Manual,
    Push,
}
