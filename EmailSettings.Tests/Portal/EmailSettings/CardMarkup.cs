using Bunit;
using Microsoft.AspNetCore.Components;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>What the card tooltips show, read where MudBlazor renders them: in the popover provider.</summary>
internal static class CardMarkup
{
    /// <summary>The texts of the open tooltips (MudTooltip's popovers) in the rendered providers.</summary>
    public static IReadOnlyList<string> Tooltips<T>(this IRenderedComponent<T> providers) where T : IComponent =>
        providers.FindAll(".mud-tooltip.mud-popover-open").Select(t => t.TextContent.Trim()).ToList();
}
