using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>One icon button of a <see cref="CardActionBar"/>.</summary>
/// <param name="Name">The accessible name ("Edit Production SMTP"); the tooltip too, unless <see cref="Tip"/> says more.</param>
/// <param name="Icon">A MudBlazor icon, for example <c>Icons.Material.Filled.Edit</c>.</param>
/// <param name="OnClick">What the button does.</param>
public sealed record CardAction(string Name, string Icon, EventCallback OnClick)
{
    /// <summary>The tooltip when it says more than the name (a running sync's progress).</summary>
    public string? Tip { get; init; }

    /// <summary>Why the button is off ("Configure IMAP to sync"); null when it works. The tooltip shows the reason.</summary>
    public string? DisabledReason { get; init; }

    public Color Color { get; init; } = Color.Default;

    /// <summary>Classes for the button, for example "sync-icon sync-spinning".</summary>
    public string? Class { get; init; }

    /// <summary>Classes for the slot around the button, for example "sync-button".</summary>
    public string? SlotClass { get; init; }

    /// <summary>A short live status beside the button ("5 of 15"), announced politely.</summary>
    public string? Status { get; init; }

    /// <summary>True while the action runs (a sync): the slot says aria-busy.</summary>
    public bool Busy { get; init; }
}
