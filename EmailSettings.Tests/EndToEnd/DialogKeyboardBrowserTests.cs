using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// The settings page's dialogs with the keyboard in Chromium: each opens from its button, closes with Escape and gives
/// the focus back to that button; a failed save highlights its field every time. Screenshots go to screenshots/dialogs/.
/// </summary>
public class DialogKeyboardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Every_dialog_closes_with_Escape_and_gives_the_focus_back_to_the_button_that_opened_it()
    {
        await using var app = await PortalTestApp.StartAsync(kestrel: true);
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);

        // Before any server: Add Account only explains that a server comes first.
        await EscapeAsync(tab, "Add Account", "add-account-no-server", dialog => dialog.GetByText("A mail server must be added first."));

        var servers = app.ServiceFor<MailServerService>(app.TenantA);
        var server = (await servers.CreateAsync(new MailServerInput { Name = "Production SMTP", SmtpHost = "smtp.example.com" })).Value!;
        (await app.ServiceFor<EmailAccountService>(app.TenantA).CreateAsync(new EmailAccountInput
        {
            DisplayName = "Support Inbox", EmailAddress = "support@example.com", MailServerId = server.Id,
        })).Succeeded.Should().BeTrue();
        await tab.GotoAsync("/communications/settings/email");

        await EscapeAsync(tab, "Add Server", "add-server", dialog => dialog.GetByLabel("Server Name"));
        await EscapeAsync(tab, "Edit Production SMTP", "edit-server", dialog => dialog.GetByLabel("Server Name"));
        await EscapeAsync(tab, "Add Account", "add-account", dialog => dialog.GetByLabel("Email Address"));
        await EscapeAsync(tab, "Edit Support Inbox", "edit-account", dialog => dialog.GetByLabel("Display Name"));
        await EscapeAsync(tab, "Send test email from Support Inbox", "send-test-email", dialog => dialog.GetByText("Sends a real email from"));
        await EscapeAsync(tab, "Delete Production SMTP", "confirm-delete-server",
            dialog => dialog.GetByText("Are you sure you want to delete Production SMTP? This cannot be undone."));
        await EscapeAsync(tab, "Delete Support Inbox", "confirm-delete-account",
            dialog => dialog.GetByText("Are you sure you want to delete the account Support Inbox? This cannot be undone."));

        // Escape in the open Mail Server list closes the list, not the dialog with what was typed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        var accountDialog = page.GetByRole(AriaRole.Dialog);
        await accountDialog.GetByLabel("Display Name").FillAsync("Typed before Escape");
        await accountDialog.GetByLabel("Mail Server").ClickAsync();
        var option = page.GetByRole(AriaRole.Option, new() { Name = "Production SMTP (smtp.example.com:587)" });
        await Expect(option).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(option).ToBeHiddenAsync();
        await Expect(accountDialog.GetByLabel("Display Name")).ToHaveValueAsync("Typed before Escape");

        (await servers.ListAsync()).Should().ContainSingle("Escape deleted nothing");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_second_failed_save_still_highlights_the_port()
    {
        await using var app = await PortalTestApp.StartAsync(kestrel: true);
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Server", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var port = dialog.GetByLabel("SMTP Port");
        var save = dialog.GetByRole(AriaRole.Button, new() { Name = "Add Server" });
        await dialog.GetByLabel("Server Name").FillAsync("Production SMTP");
        await dialog.GetByLabel("SMTP Host").FillAsync("smtp.example.com");

        await port.FillAsync("abc");
        await save.ClickAsync();
        await Expect(port).ToHaveAttributeAsync("aria-invalid", "true");
        await tab.ScreenshotAsync("dialogs/port-abc");

        foreach (var typed in new[] { "-1", "0" })
        {
            await port.FillAsync(typed);
            await save.ClickAsync();

            await Expect(port).ToHaveAttributeAsync("aria-invalid", "true");
            await Expect(dialog.GetByText("SMTP Port must be a number between 1 and 65535.")).ToBeVisibleAsync();
            await Expect(dialog.GetByText("Please correct the highlighted fields.", new() { Exact = true })).ToBeVisibleAsync();
        }
        await Expect(page.GetByText("The mail server was not saved: please correct the highlighted fields.")).ToHaveCountAsync(1);
        await tab.ScreenshotAsync("dialogs/port-second-failure");
        await Expect(dialog.GetByLabel("Server Name")).ToHaveAttributeAsync("aria-invalid", "false");

        // Fixed and left (Tab): the highlight goes at once, before any save.
        await port.FillAsync("465");
        await page.Keyboard.PressAsync("Tab");
        await Expect(port).ToHaveAttributeAsync("aria-invalid", "false");
        await save.ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        (await app.ServiceFor<MailServerService>(app.TenantA).ListAsync()).Should().ContainSingle().Which.SmtpPort.Should().Be(465);
        tab.ConsoleErrors.Should().BeEmpty();
    }

    /// <summary>
    /// Opens a dialog from its button with the keyboard, checks that the focus went into it and that no two of its
    /// buttons share a name, presses Escape and waits until the dialog is gone and the button has the focus again.
    /// </summary>
    private static async Task EscapeAsync(BrowserPage tab, string opener, string screenshot, Func<ILocator, ILocator> shown)
    {
        var page = tab.Page;
        var button = page.GetByRole(AriaRole.Button, new() { Name = opener, Exact = true });
        await button.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(shown(dialog)).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[role=dialog]') != null", null, new() { Timeout = 5_000 });

        var names = await dialog.GetByRole(AriaRole.Button).EvaluateAllAsync<string[]>(
            "buttons => buttons.map(b => b.getAttribute('aria-label') || b.textContent.trim())");
        names.Should().OnlyHaveUniqueItems($"the buttons of the dialog opened by {opener} are {string.Join(", ", names)}");
        await tab.ScreenshotAsync($"dialogs/{screenshot}");

        await page.Keyboard.PressAsync("Escape");

        await Expect(dialog).ToHaveCountAsync(0);
        var handle = await button.ElementHandleAsync();
        await page.WaitForFunctionAsync("opener => document.activeElement === opener", handle, new() { Timeout = 5_000 });
    }
}
