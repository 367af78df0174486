using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// Several browsers on one running Portal: two of the same tenant share a sync live, another tenant's admin sees
/// none of it, and a user without the Tenant Admin role is refused. Screenshots go to screenshots/boundaries/.
/// </summary>
[Trait("Category", "Integration")]
public class TenantBoundariesBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string ImapUser = "support@boundaries.test";
    private const string ImapPassword = "Imap-Boundaries-2026";
    private const string SettingsPath = "/communications/settings/email";

    [Fact]
    public async Task A_second_browser_of_the_tenant_sees_the_sync_spin_live_and_another_tenant_sees_nothing_of_it()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(ImapUser, ImapPassword);
        dovecot.DeliverToMaildir(ImapUser, Enumerable.Range(1, 2).Select(n => DovecotServer.CreateMessage(n)));
        await using var app = PortalTestApp.StartDevelopment(JourneySettings.Values);
        var baseUrl = app.BaseUri.ToString();
        var accountId = await SeedSyncingAccountAsync(app, dovecot);

        await using var first = await browser.NewPageAsync(app.BaseUri);
        await using var second = await browser.NewPageAsync(app.BaseUri);
        await using var northwind = await browser.NewPageAsync(app.BaseUri);
        var firstShots = new Screenshots(first, "boundaries/first-browser");
        var secondShots = new Screenshots(second, "boundaries/second-browser");
        var northwindShots = new Screenshots(northwind, "boundaries/other-tenant");

        // Both browsers of Demo Tenant show the account once its first (scheduled) sync has brought 2 messages.
        await first.Page.SignInAndOpenAsync(baseUrl, TestUsers.DemoAdmin);
        await second.Page.SignInAndOpenAsync(baseUrl, TestUsers.DemoAdmin);
        var firstCard = first.Page.GetByRole(AriaRole.Group, new() { Name = "Email account Support Inbox" });
        var secondCard = second.Page.GetByRole(AriaRole.Group, new() { Name = "Email account Support Inbox" });
        await Expect(firstCard).ToContainTextAsync("2 messages", new() { Timeout = 30_000 });
        await Expect(secondCard).ToContainTextAsync("2 messages");
        var firstSync = first.Page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox" });
        var secondSync = second.Page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox" });
        await Expect(firstSync).Not.ToHaveClassAsync(TenantAdminJourneyTests.Spinning);
        await Expect(secondSync).Not.ToHaveClassAsync(TenantAdminJourneyTests.Spinning);

        // The admin of Northwind sees an empty workspace, and the account's messages page says it does not exist.
        await northwind.Page.SignInAndOpenAsync(baseUrl, NorthwindAdmin);
        await Expect(northwind.Page.GetByText("Northwind", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(northwind.Page.GetByText("No mail servers yet")).ToBeVisibleAsync();
        await Expect(northwind.Page.GetByText("No email accounts yet")).ToBeVisibleAsync();
        await northwindShots.TakeAsync("empty-workspace");

        // A click in the first browser starts the sync; it is held at its start while both browsers are checked.
        dovecot.DeliverToMaildir(ImapUser, Enumerable.Range(3, 2).Select(n => DovecotServer.CreateMessage(n)));
        using (var hold = SyncHold.Arm(app.Services, DemoTenant.Id))
        {
            await firstSync.ClickAsync();
            var started = await hold.Reached;
            started.AccountId.Should().Be(accountId);
            await Expect(firstSync).ToHaveClassAsync(TenantAdminJourneyTests.Spinning);
            await Expect(secondSync).ToHaveClassAsync(TenantAdminJourneyTests.Spinning);
            await firstShots.TakeAsync("sync-spinning");
            await secondShots.TakeAsync("sync-spinning-live");
            await Expect(northwind.Page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox" })).ToHaveCountAsync(0);
            hold.Release();
        }

        // When it ends, both browsers stop spinning and show the new count without a reload.
        await Expect(firstSync).Not.ToHaveClassAsync(TenantAdminJourneyTests.Spinning);
        await Expect(secondSync).Not.ToHaveClassAsync(TenantAdminJourneyTests.Spinning);
        await Expect(firstCard).ToContainTextAsync("4 messages");
        await Expect(secondCard).ToContainTextAsync("4 messages");
        await secondShots.TakeAsync("sync-finished");

        // Northwind still sees nothing: not on its page, not through the account's own address.
        await Expect(northwind.Page.GetByText("No email accounts yet")).ToBeVisibleAsync();
        (await northwind.Page.ContentAsync()).Should().NotContain("Support Inbox").And.NotContain(ImapUser);
        await northwind.GotoAsync($"{SettingsPath}/accounts/{accountId}/messages");
        await Expect(northwind.Page.GetByText("This email account no longer exists.")).ToBeVisibleAsync();
        await Expect(northwind.Page.GetByText("Test message")).ToHaveCountAsync(0);
        await northwindShots.TakeAsync("other-tenants-messages-not-found");

        first.ConsoleErrors.Should().BeEmpty();
        second.ConsoleErrors.Should().BeEmpty();
        northwind.ConsoleErrors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_user_without_the_tenant_admin_role_is_refused_the_settings_and_the_messages()
    {
        await using var app = PortalTestApp.StartDevelopment(JourneySettings.Values);
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        var shots = new Screenshots(tab, "boundaries/member");

        await page.GotoAsync($"/account/sign-in?ReturnUrl={Uri.EscapeDataString(SettingsPath)}");
        await page.SignInWithFormAsync(TestUsers.DemoMember.Email, TestUsers.DemoMember.Password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await Expect(page.GetByText("but only tenant administrators can open this page.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add Server" })).ToHaveCountAsync(0);
        await shots.TakeAsync("settings-refused");

        await page.GotoAsync($"{SettingsPath}/accounts/1/messages");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await page.GotoAsync("/communications/email/logs");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await shots.TakeAsync("logs-refused");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    private static TestUser NorthwindAdmin { get; } =
        new(DemoUsers.NorthwindTenantId, DemoUsers.NorthwindAdminEmail, DemoUsers.Password, IsTenantAdmin: true);

    private static Task<int> SeedSyncingAccountAsync(PortalTestApp app, DovecotServer dovecot) =>
        app.SeedSyncingAccountAsync(dovecot, ImapUser, ImapPassword, "Boundaries SMTP", "smtp.boundaries.test");
}
