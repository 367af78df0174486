using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>The actions both kinds of card have, with the spec's icons (pencil, trash) and the names the tests use.</summary>
internal static class CardActions
{
    public static CardAction MakeDefault(string name, EventCallback onClick) =>
        new($"Make {name} the default", Icons.Material.Filled.StarBorder, onClick);

    public static CardAction Edit(string name, EventCallback onClick) =>
        new($"Edit {name}", Icons.Material.Filled.Edit, onClick) { Color = Color.Primary };

    public static CardAction Delete(string name, EventCallback onClick) =>
        new($"Delete {name}", Icons.Material.Filled.Delete, onClick) { Color = Color.Error };
}
