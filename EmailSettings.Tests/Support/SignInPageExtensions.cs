using Microsoft.Playwright;

namespace EmailSettings.Tests.Support;

/// <summary>Signing in from a real browser, for end-to-end tests of pages behind the TenantAdmin policy.</summary>
public static class SignInPageExtensions
{
    /// <summary>
    /// Opens the sign-in page with <paramref name="path"/> as its return URL, signs in as <paramref name="user"/>
    /// with the form and waits until the browser is on <paramref name="path"/> with a connected circuit.
    /// </summary>
    public static async Task SignInAndOpenAsync(this IPage page, string baseUrl, TestUser user, string path = "/communications/settings/email")
    {
        baseUrl = baseUrl.TrimEnd('/');
        await page.GotoAsync($"{baseUrl}/account/sign-in?ReturnUrl={Uri.EscapeDataString(path)}");
        await page.SignInWithFormAsync(user.Email, user.Password);
        await page.WaitForURLAsync(url => new Uri(url).PathAndQuery == path);
        await page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
    }

    /// <summary>Fills and submits the sign-in form on the current page.</summary>
    public static async Task SignInWithFormAsync(this IPage page, string email, string password)
    {
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
    }
}
