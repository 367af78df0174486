using EmailSettings.Tests.Support;
using Microsoft.Playwright;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>Sign-in, sign-out and the in-circuit authorization checks in Chromium against the portal on Kestrel.</summary>
[Trait("Category", "Integration")]
public sealed class BrowserSignInTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string SettingsPath = "/communications/settings/email";
    private PortalTestApp app = default!;
    private BrowserPage tab = default!;
    private IPage page = default!;

    public async Task InitializeAsync()
    {
        app = await PortalTestApp.StartAsync(kestrel: true);
        tab = await browser.NewPageAsync(app.BaseUri);
        page = tab.Page;
    }

    public async Task DisposeAsync()
    {
        await tab.DisposeAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_signs_in_lands_on_email_settings_sees_who_they_are_and_signs_out()
    {
        await page.GotoAsync(app.BaseUrl + SettingsPath);
        await Assertions.Expect(page).ToHaveURLAsync($"{app.BaseUrl}/account/sign-in?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");

        await page.SignInWithFormAsync(app.AdminA.Email, app.AdminA.Password);

        await Assertions.Expect(page).ToHaveURLAsync(app.BaseUrl + SettingsPath);
        await page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("#signed-in-user")).ToHaveTextAsync(app.AdminA.Email);
        await Assertions.Expect(page.Locator("#signed-in-tenant")).ToHaveTextAsync("Tenant A");

        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync($"{app.BaseUrl}/account/sign-in?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");
        await page.GotoAsync(app.BaseUrl + SettingsPath);
        await Assertions.Expect(page).ToHaveURLAsync($"{app.BaseUrl}/account/sign-in?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");
    }

    [Fact]
    public async Task A_wrong_password_keeps_the_visitor_on_the_sign_in_page_with_an_error()
    {
        await page.GotoAsync(app.BaseUrl + "/account/sign-in");

        await page.SignInWithFormAsync(app.AdminA.Email, "Wrong-Password-123");

        await Assertions.Expect(page.Locator("#sign-in-error")).ToContainTextAsync("Invalid email or password.");
        await Assertions.Expect(page.GetByLabel("Password")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task A_user_without_the_role_who_navigates_to_email_settings_inside_the_circuit_gets_access_denied()
    {
        await page.SignInAndOpenAsync(app.BaseUrl, app.UserA, "/not-found");

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Email", Exact = true }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync($"{app.BaseUrl}/account/access-denied?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Access denied" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_anonymous_visitor_who_navigates_to_email_settings_inside_the_circuit_is_sent_to_sign_in_and_back()
    {
        await page.GotoAsync(app.BaseUrl + "/not-found");
        await page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Email", Exact = true }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync($"{app.BaseUrl}/account/sign-in?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");
        await page.SignInWithFormAsync(app.AdminB.Email, app.AdminB.Password);
        await Assertions.Expect(page).ToHaveURLAsync(app.BaseUrl + SettingsPath);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Email Settings" })).ToBeVisibleAsync();
    }
}
