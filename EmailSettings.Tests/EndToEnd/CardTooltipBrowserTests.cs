using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// The card buttons' tooltips in Chromium: they appear on hover and on keyboard focus, on top of the page next to
/// their button, also for a button that is off (with the reason). Screenshots go to screenshots/tooltips/.
/// </summary>
[Trait("Category", "Integration")]
public class CardTooltipBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Card_buttons_show_their_tooltip_on_hover_and_keyboard_focus_and_one_that_is_off_says_why()
    {
        await using var app = await PortalTestApp.StartAsync(kestrel: true);
        await SeedAsync(app);
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(2);
        await tab.ScreenshotAsync("tooltips/01-settings-page");

        // Hover: the tip is drawn next to its button, on top of everything.
        var edit = page.GetByRole(AriaRole.Button, new() { Name = "Edit Production SMTP", Exact = true });
        await edit.HoverAsync();
        await ExpectTipBesideAsync(page, "Edit Production SMTP", edit);
        await tab.ScreenshotViewportAsync("tooltips/02-hover-edit");

        // Pointing elsewhere hides it.
        await page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings", Level = 1 }).HoverAsync();
        await Expect(Tip(page, "Edit Production SMTP")).ToHaveCountAsync(0);

        // Keyboard: Tab from Edit to Delete moves the tip with the focus; Escape dismisses it.
        await edit.FocusAsync();
        await ExpectTipBesideAsync(page, "Edit Production SMTP", edit);
        await page.Keyboard.PressAsync("Tab");
        var delete = page.GetByRole(AriaRole.Button, new() { Name = "Delete Production SMTP", Exact = true });
        await page.WaitForFunctionAsync("() => document.activeElement?.getAttribute('aria-label') === 'Delete Production SMTP'");
        await ExpectTipBesideAsync(page, "Delete Production SMTP", delete);
        await Expect(Tip(page, "Edit Production SMTP")).ToHaveCountAsync(0);
        await tab.ScreenshotViewportAsync("tooltips/03-keyboard-delete");
        await page.Keyboard.PressAsync("Escape");
        await Expect(Tip(page, "Delete Production SMTP")).ToHaveCountAsync(0);

        // A button that is off: Marketing has no IMAP, so its sync button is disabled. Its slot is reached with Tab
        // (right after Add Account: Marketing is the first account card) and the tip says why.
        var syncMarketing = page.GetByRole(AriaRole.Button, new() { Name = "Sync Marketing", Exact = true });
        await Expect(syncMarketing).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.WaitForFunctionAsync("() => document.activeElement?.getAttribute('aria-label') === 'Sync Marketing'");
        (await page.EvaluateAsync<string?>("() => document.activeElement.getAttribute('aria-description')")).Should().Be("Configure IMAP to sync");
        await ExpectTipBesideAsync(page, "Configure IMAP to sync", syncMarketing);
        await tab.ScreenshotViewportAsync("tooltips/04-keyboard-disabled-reason");
        await page.Keyboard.PressAsync("Escape");
        await Expect(Tip(page, "Configure IMAP to sync")).ToHaveCountAsync(0);

        // The same reason by hover: a disabled button gets no pointer events, its slot does.
        await syncMarketing.HoverAsync();
        await ExpectTipBesideAsync(page, "Configure IMAP to sync", syncMarketing);
        await tab.ScreenshotViewportAsync("tooltips/05-hover-disabled-reason");

        // On a phone the cards stack in one column and the tips still show.
        await page.SetViewportSizeAsync(390, 844);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings", Level = 1 }).HoverAsync();
        await tab.ScreenshotAsync("tooltips/06-phone");
        var syncSupport = page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox", Exact = true });
        await syncSupport.ScrollIntoViewIfNeededAsync();
        await syncSupport.HoverAsync();
        await ExpectTipBesideAsync(page, "Sync Support Inbox now", syncSupport);
        await tab.ScreenshotViewportAsync("tooltips/07-phone-hover-sync");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    private static ILocator Tip(IPage page, string text) =>
        page.Locator(".mud-tooltip.mud-popover-open").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{System.Text.RegularExpressions.Regex.Escape(text)}$") });

    /// <summary>
    /// The tip is visible (a real box, not just an element), is the topmost element at its own centre (not clipped or
    /// covered), and sits just above its button, overlapping it horizontally.
    /// </summary>
    private static async Task ExpectTipBesideAsync(IPage page, string text, ILocator button)
    {
        var tip = Tip(page, text);
        await Expect(tip).ToBeVisibleAsync();
        // MudBlazor fades the tip in; wait until it is positioned and opaque.
        await page.WaitForFunctionAsync(
            "t => [...document.querySelectorAll('.mud-tooltip.mud-popover-open')].some(e => e.textContent.trim() === t && getComputedStyle(e).opacity === '1')", text);
        var tipBox = (await tip.BoundingBoxAsync())!;
        var buttonBox = (await button.BoundingBoxAsync())!;
        tipBox.Width.Should().BeGreaterThan(10);
        tipBox.Height.Should().BeGreaterThan(10);
        (tipBox.Y + tipBox.Height).Should().BeLessThanOrEqualTo(buttonBox.Y + 2, "the tip sits above its button");
        (buttonBox.Y - (tipBox.Y + tipBox.Height)).Should().BeLessThan(30, "the tip is next to its button");
        tipBox.X.Should().BeLessThan(buttonBox.X + buttonBox.Width);
        (tipBox.X + tipBox.Width).Should().BeGreaterThan(buttonBox.X);
        var onTop = await page.EvaluateAsync<bool>(
            """
            t => {
                const tip = [...document.querySelectorAll('.mud-tooltip.mud-popover-open')].find(e => e.textContent.trim() === t);
                const r = tip.getBoundingClientRect();
                const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return !!e && tip.contains(e);
            }
            """, text);
        onTop.Should().BeTrue("nothing covers or clips the tip");
    }

    private static async Task SeedAsync(PortalTestApp app)
    {
        var servers = app.ServiceFor<MailServerService>(app.TenantA);
        var accounts = app.ServiceFor<EmailAccountService>(app.TenantA);
        var production = (await servers.CreateAsync(new MailServerInput
        {
            Name = "Production SMTP", SmtpHost = "smtp.example.com", SmtpPort = 587, SmtpUsername = "mailer@example.com", SmtpPassword = "Sm7p-secret!",
        })).Value!;
        (await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = "support@example.com", DisplayName = "Support Inbox", MailServerId = production.Id, IsDefault = true,
            ImapHost = "imap.example.com", ImapUsername = "support@example.com", ImapPassword = "Imap-secret!",
        })).Succeeded.Should().BeTrue();
        (await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = "news@example.com", DisplayName = "Marketing", MailServerId = production.Id,
        })).Succeeded.Should().BeTrue();
    }
}
