using System.Globalization;

namespace EmailSettings.Core.Alerts;

/// <summary>The words of alerts, in emails and snackbars alike. Times are UTC and say so: admins read them anywhere.</summary>
public static class AlertTexts
{
    public const string SettingsPath = "Communications → Settings → Email";

    /// <summary>"3 Dec 2026, 10:02 UTC".</summary>
    public static string Time(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Notice(AccountAlertEvent e) => (e.Kind, e.Change) switch
    {
        (AccountProblemKind.SyncFailing, AccountAlertChange.Raised) => $"Sync of {e.AccountName} has failed since {Time(e.Since)}: {e.Reason}",
        (AccountProblemKind.SyncFailing, AccountAlertChange.Cleared) => $"Sync of {e.AccountName} works again.",
        (AccountProblemKind.SyncFailing, AccountAlertChange.Paused) => $"Scheduled syncs of {e.AccountName} are paused: it has failed since {Time(e.Since)}. Sync or edit the account to resume them.",
        (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Raised) => $"{e.AccountName} needs to be reconnected (since {Time(e.Since)}): {e.Reason}",
        (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Cleared) => $"{e.AccountName} is connected again.",
        _ => $"{e.AccountName}: {e.Change} {e.Kind}.",
    };

    public static string Subject(AccountAlertEvent e) => (e.Kind, e.Change) switch
    {
        (AccountProblemKind.SyncFailing, AccountAlertChange.Raised) => $"Sync of {e.AccountName} is failing",
        (AccountProblemKind.SyncFailing, AccountAlertChange.Cleared) => $"Sync of {e.AccountName} works again",
        (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Raised) => $"Reconnect needed: {e.AccountName}",
        (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Cleared) => $"{e.AccountName} is connected again",
        _ => $"{e.AccountName}: {e.Change}",
    };

    public static string Body(AccountAlertEvent e, string accountAddress)
    {
        var what = (e.Kind, e.Change) switch
        {
            (AccountProblemKind.SyncFailing, AccountAlertChange.Raised) =>
                $"""
                {Notice(e)}

                The portal keeps trying on its schedule (less often while it keeps failing). If it fails for longer,
                scheduled syncs pause until an administrator edits the account or syncs it by hand.
                """,
            (AccountProblemKind.SyncFailing, AccountAlertChange.Cleared) =>
                $"Sync of {e.AccountName} works again since {Time(e.At)}; it had failed since {Time(e.Since)}.",
            (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Raised) =>
                $"""
                {Notice(e)}

                Until an administrator reconnects it, the account cannot sync or send.
                """,
            (AccountProblemKind.ReconnectNeeded, AccountAlertChange.Cleared) =>
                $"{e.AccountName} is connected again since {Time(e.At)}.",
            _ => Notice(e),
        };
        return $"""
            {what}

            Account: {e.AccountName} <{accountAddress}>
            Open {SettingsPath} in the admin portal to see the account.

            You receive this because you administer the tenant's email settings. You get one notice when a problem
            starts and one when it is over, not one per failed attempt.
            """;
    }
}
