using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// The settings page's sections with the keyboard in Chromium: a tenant with 50 accounts sees how many are shown and
/// reaches the rest with "Show more", which moves the focus to the first card it revealed. Screenshots go to screenshots/sections/.
/// </summary>
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

        var first = EmailSettingsPage.CardPageSize;
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
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Shot("sections/02-show-more-focus") });

        // Tab goes on inside that card: its sync button, off without IMAP, is the first thing it can reach.
        await page.Keyboard.PressAsync("Tab");
        await page.WaitForFunctionAsync($"() => document.activeElement?.getAttribute('aria-label') === 'Sync Team {first:D2}'");

        await Expect(section.GetByRole(AriaRole.Button, new() { Name = $"Show {50 - first - step} more email accounts", Exact = true })).ToBeVisibleAsync();
        tab.ConsoleErrors.Should().BeEmpty();
    }

    private static string Shot(string name)
    {
        var path = Path.Combine(BrowserFixture.ScreenshotFolder, name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
