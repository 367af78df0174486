namespace EmailSettings.Core.OAuth;

/// <summary>
/// The tokens one sign-in produced, for one mail server or email account. Created by the sign-in callback before the
/// dialog is saved (<see cref="PendingUntil"/> set, no record yet), attached to its record when the dialog saves, and
/// deleted with the record (the foreign keys cascade). Tokens are encrypted with Data Protection, a purpose per kind,
/// and never leave Core: the page sees only <see cref="OAuthGrantInfo"/>.
/// </summary>
public sealed class OAuthGrant
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }

    /// <summary>The configuration name of the provider (<c>OAuth:Providers:&lt;name&gt;</c>).</summary>
    public string ProviderName { get; set; } = "";

    public OAuthGrantFlow Flow { get; set; }
    public OAuthTargetKind TargetKind { get; set; }

    /// <summary>The record the sign-in was started for; null when it was started in an Add dialog.</summary>
    public int? IntendedRecordId { get; set; }

    /// <summary>Set once attached to its mail server.</summary>
    public int? MailServerId { get; set; }

    /// <summary>Set once attached to its email account.</summary>
    public int? EmailAccountId { get; set; }

    /// <summary>The address the provider says was signed in (the id token's email), or the mailbox of an app-only grant.</summary>
    public string? Address { get; set; }

    public string AccessTokenProtected { get; set; } = "";
    public DateTime? AccessTokenExpiresAt { get; set; }

    /// <summary>Null for app-only grants and for providers that issue no refresh token.</summary>
    public string? RefreshTokenProtected { get; set; }

    public OAuthGrantStatus Status { get; set; }

    /// <summary>Why the grant needs a new sign-in, in words for the card.</summary>
    public string? Problem { get; set; }
    public DateTime? ProblemAt { get; set; }

    public string? CreatedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? RefreshedAt { get; set; }

    /// <summary>A grant not attached to a record by then is deleted: the dialog it was made for was never saved.</summary>
    public DateTime? PendingUntil { get; set; }
}

/// <summary>
/// One sign-in started from a dialog or a card: the state the provider's callback must match. Bound to the tenant, the
/// signed-in admin and the record; single use (completed once) and short-lived (<see cref="ExpiresAt"/>).
/// </summary>
public sealed class OAuthSignInAttempt
{
    public Guid Id { get; set; }

    /// <summary>The random handle the dialog waits on; the dialog alone knows it.</summary>
    public string Handle { get; set; } = "";

    public Guid TenantId { get; set; }
    public string UserId { get; set; } = "";
    public string ProviderName { get; set; } = "";
    public OAuthTargetKind TargetKind { get; set; }
    public int? RecordId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public Guid? GrantId { get; set; }

    /// <summary>Why the sign-in failed, for the dialog; null while pending or after success.</summary>
    public string? Error { get; set; }
}

/// <summary>What the page may know about a grant: never a token.</summary>
public sealed record OAuthGrantInfo(
    Guid Id,
    string ProviderName,
    string ProviderDisplayName,
    OAuthGrantFlow Flow,
    string? Address,
    DateTime? AccessTokenExpiresAt,
    OAuthGrantStatus Status,
    string? Problem,
    DateTime? ProblemAt)
{
    public bool ReconnectNeeded => Status == OAuthGrantStatus.ReconnectNeeded;
}
