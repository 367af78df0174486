using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Layout;

/// <summary>The navigation's icons as the SVG markup MudNavLink renders, one static string each.</summary>
internal static class NavIcons
{
    public static readonly MarkupString Communications = Icon(Icons.Material.Filled.Forum);
    public static readonly MarkupString Settings = Icon(Icons.Material.Filled.Settings);
    public static readonly MarkupString Email = Icon(Icons.Material.Filled.Email);
    public static readonly MarkupString EmailLogs = Icon(Icons.Material.Filled.History);

    public static readonly MarkupString Expand = SvgIcon.Markup(Icons.Material.Filled.ArrowDropDown, "medium", "mud-nav-link-expand-icon nav-fold-icon");

    private static MarkupString Icon(string paths) =>
        SvgIcon.Markup(paths, "medium", "mud-icon-default mud-nav-link-icon mud-nav-link-icon-default");
}
