using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace EmailSettings.Tests.Support;

/// <summary>Opening a dialog in a <see cref="BunitCore"/> with the options the page uses (title-bar close button and all).</summary>
public static class BunitDialogOptions
{
    public static async Task<IDialogReference> ShowDialogAsync<TDialog>(this BunitCore ui, DialogOptions options,
        DialogParameters? parameters = null, string title = "")
        where TDialog : ComponentBase
    {
        var service = ui.Context.Services.GetRequiredService<IDialogService>();
        IDialogReference? reference = null;
        await ui.Providers.InvokeAsync(async () => reference = await service.ShowAsync<TDialog>(title, parameters ?? [], options));
        return reference!;
    }
}
