using EmailSettings.Core.Common;
using EmailSettings.Core.Sync;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>The sync button of the account card and of the messages page, and what a manual sync tells the user.</summary>
internal static class SyncFeedback
{
    /// <summary>
    /// The sync action for a <see cref="CardActionBar"/>: the spec's refresh icon, spinning while
    /// <paramref name="running"/> is a running sync (whoever started it), with its progress beside it.
    /// </summary>
    public static CardAction Action(string accountName, SyncProgress? running, EventCallback onSync, string? disabledReason = null)
    {
        var syncing = running is { IsRunning: true };
        return new CardAction($"Sync {accountName}", Icons.Material.Filled.Refresh, onSync)
        {
            Tip = Tooltip(running, accountName),
            DisabledReason = disabledReason,
            Class = syncing ? "sync-icon sync-spinning" : "sync-icon",
            SlotClass = "sync-button",
            Status = running?.ProgressText,
            Busy = syncing,
        };
    }

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
