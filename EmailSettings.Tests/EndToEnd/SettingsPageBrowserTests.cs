using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

public class SettingsPageBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_admin_adds_a_server_and_an_account_through_the_page_and_sees_both_cards()
    {
        await using var app = new PortalApp();
        await using var tab = await browser.NewPageAsync(app.BaseUrl);
        var page = tab.Page;

        // Communications → Settings → Email, as the spec's first common task says.
        await tab.GotoAsync("/");
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });
        await Expect(nav.GetByText("Communications")).ToBeVisibleAsync();
        await Expect(nav.GetByText("Settings")).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "Email" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(app.BaseUrl, "communications/settings/email").ToString());
        await Expect(page).ToHaveTitleAsync("Email Settings");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("No mail servers yet")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("01-empty-page");

        await page.GetByRole(AriaRole.Button, new() { Name = "Add Server", Exact = true }).ClickAsync();
        var serverDialog = page.GetByRole(AriaRole.Dialog);
        await Expect(serverDialog.GetByText("Add Mail Server")).ToBeVisibleAsync();
        await Expect(serverDialog.GetByLabel("SMTP Port")).ToHaveValueAsync("587");
        await Expect(serverDialog.GetByLabel("Use TLS/STARTTLS")).ToBeCheckedAsync();
        await serverDialog.GetByLabel("Server Name").FillAsync("Production SMTP");
        await serverDialog.GetByLabel("SMTP Host").FillAsync("smtp.example.com");
        await serverDialog.GetByLabel("SMTP Username").FillAsync("mailer@example.com");
        await serverDialog.GetByLabel("SMTP Password").FillAsync("Sm7p-secret!");
        await tab.ScreenshotAsync("02-add-server-dialog");
        await serverDialog.GetByRole(AriaRole.Button, new() { Name = "Add Server" }).ClickAsync();

        await Expect(serverDialog).ToHaveCountAsync(0);
        var serverCard = page.Locator(".server-card", new() { HasText = "Production SMTP" });
        await Expect(serverCard).ToBeVisibleAsync();
        await Expect(serverCard).ToContainTextAsync("smtp.example.com:587");
        await Expect(serverCard).ToContainTextAsync("Default");
        await Expect(serverCard).ToContainTextAsync("mailer@example.com");
        await Expect(page.GetByText("Mail server Production SMTP added.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        var accountDialog = page.GetByRole(AriaRole.Dialog);
        await Expect(accountDialog.GetByText("Add Email Account")).ToBeVisibleAsync();
        await Expect(accountDialog.GetByLabel("IMAP Port")).ToHaveValueAsync("993");
        await Expect(accountDialog.GetByLabel("Mail Server")).ToHaveValueAsync("Production SMTP (smtp.example.com:587)");
        await accountDialog.GetByLabel("Email Address").FillAsync("support@example.com");
        await accountDialog.GetByLabel("Display Name").FillAsync("Support Inbox");
        await accountDialog.GetByLabel("Set as default account").CheckAsync();
        await accountDialog.GetByLabel("IMAP Host").FillAsync("imap.example.com");
        await accountDialog.GetByLabel("IMAP Username").FillAsync("support@example.com");
        await accountDialog.GetByLabel("IMAP Password").FillAsync("Imap-secret!");
        await tab.ScreenshotAsync("03-add-account-dialog");
        await accountDialog.GetByRole(AriaRole.Button, new() { Name = "Add Account" }).ClickAsync();

        await Expect(accountDialog).ToHaveCountAsync(0);
        var accountCard = page.Locator(".account-card", new() { HasText = "Support Inbox" });
        await Expect(accountCard).ToBeVisibleAsync();
        await Expect(accountCard).ToContainTextAsync("support@example.com");
        await Expect(accountCard).ToContainTextAsync("Sends via Production SMTP");
        await Expect(accountCard).ToContainTextAsync("IMAP imap.example.com:993");
        await Expect(accountCard).ToContainTextAsync("Default");
        await Expect(serverCard).ToContainTextAsync("Used by 1 account");
        await Expect(page.Locator(".server-card")).ToHaveCountAsync(1);
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(1);
        await tab.ScreenshotAsync("04-server-and-account");

        (await page.ContentAsync()).Should().NotContain("Sm7p-secret!").And.NotContain("Imap-secret!");
        tab.ConsoleErrors.Should().BeEmpty();
    }
}
