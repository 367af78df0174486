using EmailSettings.Core.Tenancy;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

[Trait("Category", "Integration")]
public class SettingsPageBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_admin_adds_a_server_and_an_account_through_the_page_and_sees_both_cards()
    {
        await using var app = PortalTestApp.StartDevelopment();
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;

        // Communications → Settings → Email, as the spec's first common task says.
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });
        await Expect(nav.GetByText("Communications")).ToBeVisibleAsync();
        await Expect(nav.GetByText("Settings")).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "Email", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(app.BaseUri, "communications/settings/email").ToString());
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
        await accountDialog.GetByLabel("Set as default account").SetSwitchAsync(on: true);
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

    [Fact]
    public async Task The_whole_add_server_flow_works_with_the_keyboard_alone()
    {
        await using var app = PortalTestApp.StartDevelopment();
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);

        await page.GetByRole(AriaRole.Button, new() { Name = "Add Server", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByLabel("Server Name")).ToBeVisibleAsync();
        // Add starts in the optional "Detect from address"; Tab skips its Detect settings button, disabled while it is empty.
        await WaitForFocusAsync(page, "detect-address");
        await page.Keyboard.PressAsync("Tab");
        await WaitForFocusAsync(page, "server-name");
        await page.Keyboard.TypeAsync("Keyboard SMTP");
        await page.Keyboard.PressAsync("Tab");
        await WaitForFocusAsync(page, "smtp-host");
        await page.Keyboard.TypeAsync("smtp.example.com");

        var save = dialog.GetByRole(AriaRole.Button, new() { Name = "Add Server" });
        var tabs = 0;
        while (!await save.EvaluateAsync<bool>("e => e === document.activeElement"))
        {
            tabs++.Should().BeLessThan(15, "the save button must be reachable with Tab");
            await page.Keyboard.PressAsync("Tab");
        }
        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.Locator(".server-card", new() { HasText = "Keyboard SMTP" })).ToBeVisibleAsync();

        // The edit dialog has a close button, yet the focus still starts in the first field.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Keyboard SMTP" }).ClickAsync();
        await WaitForFocusAsync(page, "server-name");
        await dialog.GetByRole(AriaRole.Button, new() { Name = CloseDialog, Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        tab.ConsoleErrors.Should().BeEmpty();
    }

    [Fact]
    public async Task Editing_defaults_validation_and_deleting_work_on_the_real_page()
    {
        await using var app = PortalTestApp.StartDevelopment();
        var baseUrl = app.BaseUri;
        await SeedAsync(app);
        await using var tab = await browser.NewPageAsync(baseUrl);
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);
        await Expect(page.Locator(".server-card")).ToHaveCountAsync(2);
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(3);
        await tab.ScreenshotAsync("05-populated");

        // Default moves at once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Make Backup relay the default" }).ClickAsync();
        await Expect(page.Locator(".server-card.is-default")).ToContainTextAsync("Backup relay");
        await Expect(page.Locator(".server-card.is-default")).ToHaveCountAsync(1);

        // Edit is pre-filled and keeps the password unless a new one is typed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Production SMTP" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByLabel("Server Name")).ToHaveValueAsync("Production SMTP");
        await Expect(dialog.GetByLabel("SMTP Host")).ToHaveValueAsync("smtp.example.com");
        await Expect(dialog.GetByLabel("SMTP Password")).ToHaveValueAsync("");
        await Expect(dialog.GetByText("Leave blank to keep the existing password")).ToBeVisibleAsync();
        await dialog.GetByLabel("SMTP Port").FillAsync("465");
        await dialog.GetByLabel("Use TLS/STARTTLS").SetSwitchAsync(on: false);
        await Expect(dialog.GetByText("Port 465 normally expects TLS on connect")).ToBeVisibleAsync();
        await dialog.GetByLabel("SMTP Host").FillAsync("https://smtp.example.com");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save Changes" }).ClickAsync();
        await Expect(dialog.GetByText("Enter only the host name (for example smtp.example.com), without \"https://\".")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("06-edit-server-validation");
        await dialog.GetByLabel("SMTP Host").FillAsync("smtp2.example.com");
        await dialog.GetByLabel("Use TLS/STARTTLS").SetSwitchAsync(on: true);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save Changes" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.Locator(".server-card", new() { HasText = "Production SMTP" })).ToContainTextAsync("smtp2.example.com:465");

        // Edit an account: the address is read-only.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Support Inbox" }).ClickAsync();
        await Expect(dialog.GetByLabel("Email Address")).ToHaveValueAsync("support@example.com");
        await Expect(dialog.GetByLabel("Email Address")).Not.ToBeEditableAsync();
        await Expect(dialog.GetByLabel("IMAP Password")).ToHaveValueAsync("");
        await tab.ScreenshotAsync("07-edit-account");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // Delete a server that accounts use.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Production SMTP" }).ClickAsync();
        await Expect(dialog.GetByText("Are you sure you want to delete Production SMTP? This cannot be undone.", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("2 email accounts use this server and will lose their outbound server")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("08-confirm-delete-server");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.Locator(".server-card")).ToHaveCountAsync(1);
        await Expect(page.Locator(".account-card .no-server-warning")).ToHaveCountAsync(2);
        await Expect(page.GetByText("Deleted Production SMTP. 2 accounts now have no mail server.")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("09-after-delete-server");

        // Delete an account.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Marketing" }).ClickAsync();
        await Expect(dialog.GetByText("Are you sure you want to delete the account Marketing? This cannot be undone.", new() { Exact = true })).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Locator(".account-card")).ToHaveCountAsync(2);

        // A narrow screen still reads well.
        await page.SetViewportSizeAsync(400, 800);
        await tab.ScreenshotAsync("10-narrow");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    /// <summary>
    /// Waits until the element with this id has the keyboard focus. (Playwright's ToBeFocused also wants the window
    /// focused, which a headless page in a shared browser is not guaranteed to be.)
    /// </summary>
    /// <summary>The accessible name of MudBlazor's dialog close button (the ✕).</summary>
    private const string CloseDialog = "Close";

    private static Task WaitForFocusAsync(IPage page, string id) =>
        page.WaitForFunctionAsync("id => document.activeElement?.id === id", id, new() { Timeout = 5_000 });

    private static async Task SeedAsync(PortalTestApp app)
    {
        await using var scope = app.Services.CreateScopeForTenant(DemoTenant.Id);
        var servers = scope.ServiceProvider.GetRequiredService<MailServerService>();
        var accounts = scope.ServiceProvider.GetRequiredService<EmailAccountService>();
        var production = (await servers.CreateAsync(new MailServerInput
        {
            Name = "Production SMTP", SmtpHost = "smtp.example.com", SmtpPort = 587, SmtpUsername = "mailer@example.com", SmtpPassword = "Sm7p-secret!",
        })).Value!;
        var backup = (await servers.CreateAsync(new MailServerInput
        {
            Name = "Backup relay", SmtpHost = "relay.example.net", SmtpPort = 25, UseTls = false,
        })).Value!;
        var support = (await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = "support@example.com", DisplayName = "Support Inbox", MailServerId = production.Id, IsDefault = true,
            ImapHost = "imap.example.com", ImapUsername = "support@example.com", ImapPassword = "Imap-secret!",
        })).Value!;
        (await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = "sales@example.com", DisplayName = "Sales", MailServerId = production.Id,
            ImapHost = "imap.example.com", ImapUsername = "sales@example.com", ImapPassword = "Imap-secret!",
        })).Succeeded.Should().BeTrue();
        (await accounts.CreateAsync(new EmailAccountInput
        {
            EmailAddress = "news@example.com", DisplayName = "Marketing", MailServerId = backup.Id,
        })).Succeeded.Should().BeTrue();

        // What the sync will write: one success, and a failing account.
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        await db.EmailAccounts.Where(a => a.Id == support.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.LastSyncSucceededAt, now.AddMinutes(-2)));
        await db.EmailAccounts.Where(a => a.EmailAddress == "sales@example.com")
            .ExecuteUpdateAsync(u => u
                .SetProperty(a => a.LastSyncSucceededAt, now.AddDays(-1))
                .SetProperty(a => a.LastSyncFailedAt, now.AddMinutes(-5))
                .SetProperty(a => a.LastSyncError, "The IMAP server refused the username or password.")
                .SetProperty(a => a.FailingSince, now.AddHours(-3)));
    }
}
