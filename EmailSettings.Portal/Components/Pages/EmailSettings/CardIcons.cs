using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The icons of the settings cards as ready-made SVG markup, the same markup <see cref="MudIcon"/> renders.
/// </summary>
/// <remarks>
/// The cards are written in plain HTML with MudBlazor's CSS classes rather than MudBlazor components: a page of 50 cards
/// built from MudCard, MudChip, MudTooltip and MudIconButton held about 2,000 components and 9 MB per circuit
/// (docs/benchmarks.md, scenario 5). Each icon here is one static string, so it costs one render frame.
/// </remarks>
internal static class CardIcons
{
    public static readonly MarkupString Server = SvgIcon.Markup(Icons.Material.Filled.Dns, "medium");
    public static readonly MarkupString DefaultStar = SvgIcon.Markup(Icons.Material.Filled.Star, "small", "mud-chip-icon");
    public static readonly MarkupString TlsOn = SvgIcon.Markup(Icons.Material.Filled.Lock, "small", "mud-chip-icon");
    public static readonly MarkupString TlsOff = SvgIcon.Markup(Icons.Material.Filled.LockOpen, "small", "mud-chip-icon");
    public static readonly MarkupString IncomingSync = SvgIcon.Markup(Icons.Material.Filled.MoveToInbox, "small", "mud-chip-icon");
    public static readonly MarkupString Sends = SvgIcon.Markup(Icons.Material.Outlined.Send, "small", "mud-text-secondary");
    public static readonly MarkupString Inbox = SvgIcon.Markup(Icons.Material.Outlined.Inbox, "small", "mud-text-secondary");

    // Button faces: MudIconButton's label span with the icon, so a whole button costs a handful of frames.
    public static readonly MarkupString MakeDefault = Face(Icons.Material.Filled.StarBorder, "medium");
    public static readonly MarkupString Edit = Face(Icons.Material.Filled.Edit, "medium");
    public static readonly MarkupString Delete = Face(Icons.Material.Filled.Delete, "medium");
    public static readonly MarkupString Sync = Face(Icons.Material.Filled.Refresh, "medium");
    public static readonly MarkupString SyncSmall = Face(Icons.Material.Filled.Refresh, "small");
    public static readonly MarkupString SendTest = Face(Icons.Material.Filled.Send, "medium");

    private static MarkupString Face(string paths, string size) =>
        new($"<span class=\"mud-icon-button-label\">{SvgIcon.Markup(paths, size)}</span>");
}
