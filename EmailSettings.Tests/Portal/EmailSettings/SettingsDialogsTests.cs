using Bunit;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>
/// The dialogs as the page opens them (<see cref="SettingsDialogs"/>). That Escape closes them and the focus goes back to
/// the opener needs MudBlazor's script: <c>EndToEnd/DialogKeyboardBrowserTests</c> checks it in Chromium.
/// </summary>
public class SettingsDialogsTests
{
    [Fact]
    public void Every_dialog_closes_with_Escape_and_none_on_a_click_beside_it()
    {
        foreach (var options in new[] { SettingsDialogs.Form, SettingsDialogs.Confirm })
        {
            options.CloseOnEscapeKey.Should().BeTrue("the dialog must not depend on the provider's defaults for Escape");
            options.BackdropClick.Should().BeFalse("a stray click beside the dialog would throw away what was typed");
        }
        SettingsDialogs.Form.CloseButton.Should().BeTrue();
    }

    [Fact]
    public async Task The_no_server_warning_names_its_two_ways_out_differently()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<EmailAccountDialog>(SettingsDialogs.Form, title: "Add Email Account");
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Find(".no-server-warning"));

        ButtonNames(cut).Should().Equal("Close", "OK");
    }

    [Fact]
    public async Task Send_test_email_names_its_two_ways_out_differently()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        await ui.ShowDialogAsync<SendTestEmailDialog>(SettingsDialogs.Form, new DialogParameters<SendTestEmailDialog>
        {
            { d => d.AccountId, account.Id }, { d => d.AccountName, "Support" },
        }, "Send test email");
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Find("[data-testid=send-test-email]"));

        ButtonNames(cut).Should().Equal("Close", "Done", "Send");
    }

    [Fact]
    public async Task The_form_dialogs_have_no_two_buttons_with_one_name()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        var opened = new List<(string Dialog, IReadOnlyList<string> Buttons)>();

        foreach (var (name, show) in new (string, Func<Task<IDialogReference>>)[]
        {
            ("Add Mail Server", () => ui.ShowDialogAsync<MailServerDialog>(SettingsDialogs.Form)),
            ("Edit Mail Server", () => ui.ShowDialogAsync<MailServerDialog>(SettingsDialogs.Form,
                new DialogParameters<MailServerDialog> { { d => d.ServerId, server.Id } })),
            ("Add Email Account", () => ui.ShowDialogAsync<EmailAccountDialog>(SettingsDialogs.Form)),
            ("Edit Email Account", () => ui.ShowDialogAsync<EmailAccountDialog>(SettingsDialogs.Form,
                new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } })),
            ("Delete", () => ui.ShowDialogAsync<ConfirmDeleteDialog>(SettingsDialogs.Confirm, new DialogParameters<ConfirmDeleteDialog>
            {
                { d => d.Message, "Are you sure you want to delete Support? This cannot be undone." },
                { d => d.Delete, _ => Task.FromResult<string?>(null) },
            })),
        })
        {
            var dialog = await show();
            var cut = ui.Providers;
            cut.WaitForAssertion(() => cut.FindAll(".mud-dialog-actions button").Should().HaveCountGreaterThanOrEqualTo(2, name));
            opened.Add((name, ButtonNames(cut)));
            await cut.InvokeAsync(dialog.Close);
            cut.WaitForAssertion(() => cut.FindAll(".mud-dialog").Should().BeEmpty());
        }

        opened.Should().AllSatisfy(d => d.Buttons.Should().OnlyHaveUniqueItems($"{d.Dialog} has {string.Join(", ", d.Buttons)}"));
        opened.Where(d => d.Dialog != "Delete").Should().AllSatisfy(d => d.Buttons.Should().Contain(["Close", "Cancel"]));
    }

    /// <summary>
    /// Each button's accessible name as a screen reader reads it: aria-label, else its text. MudForm's hidden submit
    /// button (aria-hidden, it only stops Enter from submitting) is not one a reader meets.
    /// </summary>
    private static List<string> ButtonNames<T>(IRenderedComponent<T> cut) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.FindAll(".mud-dialog button:not([aria-hidden=true])")
            .Select(b => b.GetAttribute("aria-label") is { Length: > 0 } label ? label : b.TextContent.Trim())
            .ToList();
}
