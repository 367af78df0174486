using Microsoft.AspNetCore.Components;

namespace EmailSettings.Portal.Components;

/// <summary>
/// A MudBlazor icon as the SVG markup MudIcon renders, for plain-HTML parts that sit in every circuit (cards,
/// navigation, user menu): one static string costs one render frame, a MudIcon a whole component.
/// </summary>
internal static class SvgIcon
{
    /// <param name="paths">The icon, for example <c>Icons.Material.Filled.Edit</c>.</param>
    /// <param name="size">MudBlazor's size word: small, medium or large.</param>
    /// <param name="extraClasses">More classes for the svg element, for example "mud-chip-icon".</param>
    public static MarkupString Markup(string paths, string size, string? extraClasses = null) =>
        new($"<svg class=\"mud-icon-root mud-svg-icon mud-icon-size-{size}{(extraClasses is null ? "" : " " + extraClasses)}\" "
            + $"focusable=\"false\" viewBox=\"0 0 24 24\" aria-hidden=\"true\">{paths}</svg>");
}
