using System.Net;
using EmailSettings.Core.Identity;
using EmailSettings.Portal.Auth;
using EmailSettings.Portal.Components.Account.Pages;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>Sign-in, sign-out, lockout and who may open Email Settings, through the running portal over HTTP.</summary>
public sealed class SignInTests(PortalAppFixture fixture) : IClassFixture<PortalAppFixture>
{
    private const string SettingsPath = "/communications/settings/email";
    private const string SignInRedirect = "/account/sign-in?ReturnUrl=%2Fcommunications%2Fsettings%2Femail";
    private PortalTestApp App => fixture.App;

    [Fact]
    public async Task An_anonymous_visitor_of_email_settings_is_sent_to_sign_in_with_the_page_as_return_url()
    {
        var client = App.CreateBrowserClient();

        var response = await client.GetAsync(SettingsPath);

        response.RedirectTarget().Should().Be(SignInRedirect);
    }

    [Theory]
    [InlineData("/communications/email/logs")]
    [InlineData("/communications/settings/email?tab=accounts")]
    [InlineData("/")]
    public async Task Every_portal_page_sends_anonymous_visitors_to_sign_in_and_refuses_users_without_the_role(string path)
    {
        var expectedReturnUrl = Uri.EscapeDataString(path);

        var anonymous = await App.CreateBrowserClient().GetAsync(path);
        var member = await (await App.SignedInClientAsync(App.UserB)).GetAsync(path);

        anonymous.RedirectTarget().Should().Be($"/account/sign-in?ReturnUrl={expectedReturnUrl}");
        member.RedirectTarget().Should().Be($"/account/access-denied?ReturnUrl={expectedReturnUrl}");
    }

    [Fact]
    public async Task The_not_found_page_stays_public_and_does_not_ask_to_sign_in()
    {
        var client = App.CreateBrowserClient();

        var unknown = await client.GetAsync("/no/such/page");
        var notFound = await client.GetAsync("/not-found");

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("Page not found");
        notFound.StatusCode.Should().Be(HttpStatusCode.OK);
        (await notFound.Content.ReadAsStringAsync()).Should().Contain("Page not found");
    }

    [Fact]
    public async Task Signing_in_with_the_form_returns_to_the_page_the_visitor_wanted_and_renders_it()
    {
        var client = App.CreateBrowserClient();
        var signInPage = (await client.GetAsync(SettingsPath)).RedirectTarget();

        var signedIn = await client.SubmitSignInFormAsync(signInPage, App.AdminA.Email, App.AdminA.Password);

        signedIn.RedirectTarget().Should().Be(SettingsPath);
        var page = await client.GetAsync(SettingsPath);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.Should().Contain("Email Settings").And.Contain(App.AdminA.Email).And.Contain("Tenant A").And.Contain("Sign out");
    }

    [Fact]
    public async Task A_wrong_password_shows_an_error_keeps_the_email_and_never_echoes_the_password()
    {
        var client = App.CreateBrowserClient();

        var response = await client.SignInAsync(App.AdminB.Email, "Wrong-Password-123", returnUrl: SettingsPath);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        html.Should().Contain(SignInPage.InvalidMessage).And.Contain(App.AdminB.Email).And.NotContain("Wrong-Password-123");
        (await client.GetAsync(SettingsPath)).RedirectTarget().Should().Be(SignInRedirect, "nobody was signed in");
    }

    [Fact]
    public async Task An_empty_form_asks_for_the_email_and_the_password()
    {
        var response = await App.CreateBrowserClient().SignInAsync("", "");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Enter your email address.").And.Contain("Enter your password.");
    }

    [Fact]
    public async Task An_unknown_email_gets_the_same_message_as_a_wrong_password()
    {
        var response = await App.CreateBrowserClient().SignInAsync("nobody@a.test", "Some-Password-123");

        (await response.Content.ReadAsStringAsync()).Should().Contain(SignInPage.InvalidMessage);
    }

    [Fact]
    public async Task A_signed_in_user_without_the_tenant_admin_role_gets_the_access_denied_page()
    {
        var client = await App.SignedInClientAsync(App.UserA);

        var response = await client.GetAsync(SettingsPath);

        response.RedirectTarget().Should().Be("/account/access-denied?ReturnUrl=%2Fcommunications%2Fsettings%2Femail");
        var denied = await client.GetAsync(response.RedirectTarget());
        denied.StatusCode.Should().Be(HttpStatusCode.OK);
        var html = await denied.Content.ReadAsStringAsync();
        html.Should().Contain("Access denied").And.Contain(App.UserA.Email).And.Contain("only tenant administrators");
        html.Should().NotContain("Mail Servers");
    }

    [Theory]
    [InlineData("https://evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("/\\evil.example/phish")]
    public async Task A_return_url_to_another_site_is_ignored_after_signing_in(string returnUrl)
    {
        var response = await App.CreateBrowserClient().SignInAsync(App.AdminA.Email, App.AdminA.Password, returnUrl);

        response.RedirectTarget().Should().Be(SettingsPath);
    }

    [Fact]
    public async Task Sign_out_without_the_antiforgery_token_is_rejected_and_keeps_the_session()
    {
        var client = await App.SignedInClientAsync(App.AdminA);

        var response = await client.PostAsync("/account/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>()));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Be(AuthenticationSetup.SignOutRejectedMessage);
        (await client.GetAsync(SettingsPath)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_sign_in_post_without_the_antiforgery_token_is_rejected_and_signs_nobody_in()
    {
        var client = App.CreateBrowserClient();
        await client.GetStringAsync("/account/sign-in");

        var response = await client.PostAsync("/account/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["Input.Email"] = App.AdminA.Email,
            ["Input.Password"] = App.AdminA.Password,
        }));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Headers.Contains("Set-Cookie").Should().BeFalse();
        (await client.GetAsync(SettingsPath)).RedirectTarget().Should().Be(SignInRedirect);
    }

    [Fact]
    public async Task Signing_out_from_the_app_bar_ends_the_session()
    {
        var client = await App.SignedInClientAsync(App.AdminA);
        var page = await client.GetStringAsync(SettingsPath);
        var signOut = HtmlForm.Parse(page, "form[action='account/sign-out']");

        var response = await client.PostAsync("/account/sign-out", signOut.Content());

        response.RedirectTarget().Should().Be(SignInRedirect);
        (await client.GetAsync(SettingsPath)).RedirectTarget().Should().Be(SignInRedirect);
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_user_out_even_with_the_right_password_afterwards()
    {
        var user = await TestUsers.CreateAdminAsync(App.Services, App.TenantA, "lockme@a.test");
        var client = App.CreateBrowserClient();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var wrong = await client.SignInAsync(user.Email, $"Wrong-Password-{attempt}");
            (await wrong.Content.ReadAsStringAsync()).Should().Contain(SignInPage.InvalidMessage, $"attempt {attempt} is still below the limit");
        }

        var fifth = await client.SignInAsync(user.Email, "Wrong-Password-5");
        var right = await client.SignInAsync(user.Email, user.Password);

        (await fifth.Content.ReadAsStringAsync()).Should().Contain(SignInPage.LockedOutMessage);
        right.StatusCode.Should().Be(HttpStatusCode.OK, "a locked-out user is not signed in, whatever the password");
        (await right.Content.ReadAsStringAsync()).Should().Contain(SignInPage.LockedOutMessage);
        (await client.GetAsync(SettingsPath)).RedirectTarget().Should().Be(SignInRedirect);
        await using var db = await App.CreateDbContextAsync();
        var stored = await db.Users.SingleAsync(u => u.Email == user.Email);
        stored.LockoutEnd.Should().BeCloseTo(DateTimeOffset.UtcNow.AddMinutes(15), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Outside_development_no_demo_user_exists()
    {
        using var scope = App.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();

        foreach (var demo in DemoUsers.All)
        {
            (await users.FindByEmailAsync(demo.Email)).Should().BeNull();
        }
        var response = await App.CreateBrowserClient().SignInAsync(DemoUsers.DemoAdminEmail, DemoUsers.Password);
        (await response.Content.ReadAsStringAsync()).Should().Contain(SignInPage.InvalidMessage);
    }
}
