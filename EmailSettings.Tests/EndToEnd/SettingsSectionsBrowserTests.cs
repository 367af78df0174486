using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// The settings page's sections with the keyboard in Chromium: a tenant with 50 accounts sees how many are shown and
/// reaches the rest with "Show more", which moves the focus to the first card it revealed; after a confirmed delete
/// the focus goes to the section's Add button instead of the page body. Screenshots go to screenshots/sections/.
/// </summary>
[Trait("Category", "Integration")]
public class SettingsSectionsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Fifty_accounts_say_how_many_are_shown_and_show_more_moves_the_focus_to_the_first_new_card()
    {
        await using var app = await PortalTestApp.StartAsync(kestrel: true);
        var server = (await app.ServiceFor<MailServerService>(app.TenantA).CreateAsync(new MailServerInput
        {
            Name = "Production SMTP", SmtpHost = "smtp.example.com",
        })).Value!;
        var accounts = app.ServiceFor<EmailAccountService>(app.TenantA);
        for (var i = 0; i < 50; i++)
        {
            (await accounts.CreateAsync(new EmailAccountInput
            {
                DisplayName = $"Team {i:D2}", EmailAddress = $"team{i:D2}@example.com", MailServerId = server.Id,
            })).Succeeded.Should().BeTrue();
        }
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);

        var first = EmailSettingsPage.FirstAccountCards;
        var step = EmailSettingsPage.CardsPerShowMore;
        var section = page.Locator(".email-accounts-section");
        await Expect(section.Locator(".account-card")).ToHaveCountAsync(first);
        await Expect(section.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Showing {first} of 50 email accounts");
        await Expect(section.GetByLabel("Find an email account")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("sections/01-fifty-accounts");

        var showMore = section.GetByRole(AriaRole.Button, new() { Name = $"Show {step} more email accounts", Exact = true });
        await showMore.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(section.Locator(".account-card")).ToHaveCountAsync(first + step);
        await Expect(section.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Showing {first + step} of 50 email accounts");
        var firstNew = $"Email account Team {first:D2}";
        await page.WaitForFunctionAsync("name => document.activeElement?.getAttribute('aria-label') === name", firstNew);
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = firstNew, Exact = true })).ToBeInViewportAsync();
        await tab.ScreenshotViewportAsync("sections/02-show-more-focus");

        // Tab goes on inside that card: its sync button, off without IMAP, is the first thing it can reach.
        await page.Keyboard.PressAsync("Tab");
        await page.WaitForFunctionAsync($"() => document.activeElement?.getAttribute('aria-label') === 'Sync Team {first:D2}'");

        await Expect(section.GetByRole(AriaRole.Button, new() { Name = $"Show {50 - first - step} more email accounts", Exact = true })).ToBeVisibleAsync();
        tab.ConsoleErrors.Should().BeEmpty();
    }

    [Fact]
    public async Task After_a_confirmed_delete_the_focus_goes_to_the_sections_Add_button()
    {
        await using var app = await PortalTestApp.StartAsync(kestrel: true);
        var servers = app.ServiceFor<MailServerService>(app.TenantA);
        var production = (await servers.CreateAsync(new MailServerInput { Name = "Production SMTP", SmtpHost = "smtp.example.com" })).Value!;
        (await servers.CreateAsync(new MailServerInput { Name = "Spare SMTP", SmtpHost = "spare.example.com" })).Succeeded.Should().BeTrue();
        var accounts = app.ServiceFor<EmailAccountService>(app.TenantA);
        foreach (var name in new[] { "Marketing", "Support Inbox" })
        {
            (await accounts.CreateAsync(new EmailAccountInput
            {
                DisplayName = name, EmailAddress = $"{name.Replace(' ', '.').ToLowerInvariant()}@example.com", MailServerId = production.Id,
            })).Succeeded.Should().BeTrue();
        }
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(2);

        await DeleteWithKeyboardAsync(page, "Delete Marketing", "Add Account");
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(1);
        await tab.ScreenshotViewportAsync("sections/03-after-delete-account");

        await DeleteWithKeyboardAsync(page, "Delete Spare SMTP", "Add Server");
        await Expect(page.Locator(".server-card")).ToHaveCountAsync(1);

        // Cancelled, the card stays and MudBlazor gives the focus back to its Delete button, as before.
        var deleteSupport = page.GetByRole(AriaRole.Button, new() { Name = "Delete Support Inbox", Exact = true });
        await deleteSupport.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        var handle = await deleteSupport.ElementHandleAsync();
        await page.WaitForFunctionAsync("opener => document.activeElement === opener", handle);
        (await accounts.ListAsync()).Select(a => a.DisplayName).Should().Equal("Support Inbox");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    /// <summary>Opens the confirmation from the card's button with the keyboard, confirms with the keyboard, and waits for the focus on the Add button.</summary>
    private static async Task DeleteWithKeyboardAsync(IPage page, string deleteButton, string addButton)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = deleteButton, Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        // The dialog puts the focus on its first button once it is shown (under load after a while): wait for that first.
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[role=dialog]') != null");
        var confirm = await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ElementHandleAsync();
        await confirm.FocusAsync();
        await page.WaitForFunctionAsync("confirm => document.activeElement === confirm", confirm);
        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = deleteButton, Exact = true })).ToHaveCountAsync(0);
        var add = await page.GetByRole(AriaRole.Button, new() { Name = addButton, Exact = true }).ElementHandleAsync();
        await page.WaitForFunctionAsync("add => document.activeElement === add", add);
    }
}
