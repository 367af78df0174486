using EmailSettings.Core.Common;
using EmailSettings.Core.Sync;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>What a manual sync click tells the user when it did not go well; shared by the card and the messages page.</summary>
internal static class SyncFeedback
{
    /// <summary>The snackbar for a sync request, or null when there is nothing to say (it ran, or it was cancelled).</summary>
    public static (string Text, Severity Severity)? Describe(Result<SyncOutcome> result, string accountName) => result switch
    {
        { Succeeded: false } => (result.FieldErrors.Values.FirstOrDefault() ?? result.Message ?? "The sync could not start.", Severity.Warning),
        { Value: { Status: SyncOutcomeStatus.Failed, ErrorKind: not SyncErrorKind.Cancelled } failed } => ($"Sync of {accountName} failed: {failed.Error}", Severity.Error),
        _ => null,
    };

    /// <summary>The sync button's tooltip: what it will do, or how far the running sync is.</summary>
    public static string Tooltip(SyncProgress? running, string accountName) => running switch
    {
        { ProgressText: { } text } => $"Syncing {accountName}: {text}",
        { IsRunning: true } => $"Syncing {accountName}…",
        _ => $"Sync {accountName} now",
    };
}
