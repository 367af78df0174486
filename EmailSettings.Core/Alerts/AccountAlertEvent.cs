namespace EmailSettings.Core.Alerts;

public enum AccountAlertChange
{
    /// <summary>A problem was announced (once).</summary>
    Raised,

    /// <summary>The problem went away: the one "works again" notice.</summary>
    Cleared,

    /// <summary>Scheduled syncs paused after failing for <c>Sync:PauseAfter</c>.</summary>
    Paused,
}

/// <summary>One change of an account's problems, as every open page of the tenant hears it (a snackbar, the card).</summary>
public sealed record AccountAlertEvent(
    Guid TenantId,
    int AccountId,
    string AccountName,
    AccountProblemKind Kind,
    AccountAlertChange Change,
    string? Reason,
    DateTime Since,
    DateTime At)
{
    /// <summary>The sentence the snackbar shows.</summary>
    public string Text => AlertTexts.Notice(this);

    /// <summary>True for the notices that say something works again.</summary>
    public bool IsGoodNews => Change == AccountAlertChange.Cleared;
}
