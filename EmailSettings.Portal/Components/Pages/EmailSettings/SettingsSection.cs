using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// What the Mail Servers and Email Accounts sections share: their entries, the Add button and where the focus goes
/// after a delete. MudBlazor gives the focus back to the button that opened the confirmation, but once the entry is
/// gone that button left with its card and the focus would fall to the page body: it goes to the section's Add
/// button instead, the section's first control.
/// </summary>
public abstract class SettingsSection<TItem> : ComponentBase
{
    private int? deleted;

    /// <summary>The section's Add button (<c>@ref</c>).</summary>
    protected MudButton AddButton { get; set; } = default!;

    [Parameter] public EventCallback<TItem> OnDelete { get; set; }

    /// <summary>The section's entries in Core's order, or null while they load.</summary>
    protected abstract IReadOnlyList<TItem>? Entries { get; }

    protected abstract int Id(TItem entry);

    /// <summary>Asks the page to delete the entry (it confirms, deletes and reads the lists again).</summary>
    protected async Task DeleteAsync(TItem entry)
    {
        await OnDelete.InvokeAsync(entry);
        // Whether the entry is gone shows after the page's next render: with a database that answers synchronously
        // the page's new lists are still queued for rendering when this continues.
        deleted = Id(entry);
        StateHasChanged();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (deleted is { } id)
        {
            deleted = null;
            if (Entries?.Any(e => Id(e) == id) != true)
            {
                await AddButton.FocusAsync();
            }
        }
    }
}
