using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// How the Email Settings page opens its dialogs. Every one closes with Escape, whatever the dialog provider's defaults;
/// none closes on a click beside it, which would throw away what was typed. When a dialog closes, MudBlazor's focus trap
/// gives the focus back to the element that had it when the dialog opened: the button that opened it.
/// </summary>
internal static class SettingsDialogs
{
    /// <summary>Add/Edit Mail Server, Add/Edit Email Account, Send test email: also a close button in the title bar.</summary>
    public static DialogOptions Form { get; } = new()
    {
        MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true, CloseOnEscapeKey = true, BackdropClick = false,
    };

    /// <summary>Delete confirmations: Cancel and Delete are the only buttons.</summary>
    public static DialogOptions Confirm { get; } = new()
    {
        MaxWidth = MaxWidth.ExtraSmall, FullWidth = true, CloseOnEscapeKey = true, BackdropClick = false,
    };
}
