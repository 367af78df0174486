using System.Globalization;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using EmailSettings.Tests.Support.OAuth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd.OAuth;

/// <summary>
/// OAuth2 end to end in Chromium: the admin connects an IMAP account with the generic provider (the local OpenIddict
/// authorization server) in the popup, tests it against Dovecot (which checks the token by introspection), saves and
/// syncs it; the grant is revoked at the server, the next sync shows "Reconnect needed", and Reconnect restores it.
/// Screenshots go to screenshots/oauth/.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OAuthBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Provider = "TestIdP";
    private const string Mailbox = "oauth-browser";

    [Fact]
    public async Task An_admin_connects_an_account_with_OAuth2_syncs_it_and_reconnects_it_after_the_grant_is_revoked()
    {
        await using var authority = await TestAuthorizationServer.StartAsync();
        await using var dovecot = await DovecotServer.StartAsync(null, [], authority.ForDovecot());
        dovecot.DeliverToMaildir(Mailbox, Enumerable.Range(1, 2).Select(n => DovecotServer.CreateMessage(n)));
        var settings = new Dictionary<string, string?>(authority.PortalSettings(Provider))
        {
            ["Sync:Interval"] = "01:00:00",
            ["Autodetect:Enabled"] = "false",
        };
        await using var app = PortalTestApp.StartDevelopment(settings);
        await authority.AllowRedirectUriAsync(new Uri(app.BaseUri, "oauth/callback"));
        await SeedServerAsync(app);
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        var shots = new Screenshots(tab, "oauth");

        // Add Account with the OAuth2 sign-in method: the button takes the password's place.
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Email Address").FillAsync($"{Mailbox}@example.com");
        await dialog.GetByLabel("Display Name").FillAsync("OAuth Inbox");
        await dialog.GetByLabel("IMAP Host").FillAsync(dovecot.Host);
        await dialog.GetByLabel("IMAP Port").FillAsync(dovecot.ImapPort.ToString(CultureInfo.InvariantCulture));
        await dialog.GetByLabel("IMAP Username").FillAsync(Mailbox);
        await dialog.GetByLabel("Sign-in method").ClickAsync();
        await page.GetByRole(AriaRole.Listbox).GetByText("OAuth2 with Test IdP", new() { Exact = true }).ClickAsync();
        await Expect(dialog.GetByLabel("IMAP Password")).ToHaveCountAsync(0);
        await Expect(dialog.GetByText(new Uri(app.BaseUri, "oauth/callback").ToString())).ToBeVisibleAsync();
        await shots.TakeAsync("sign-in-method");

        // The popup: the authorization server's consent as the mailbox; it closes itself and the dialog shows who signed in.
        await ConsentInPopupAsync(page, dialog.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test IdP" }));
        await Expect(dialog.Locator(".oauth-signed-in")).ToContainTextAsync(Mailbox);
        await Expect(dialog.Locator(".oauth-signed-in")).ToContainTextAsync("Access token valid until");
        (await dialog.GetByLabel("Display Name").InputValueAsync()).Should().Be("OAuth Inbox", "nothing typed is lost while the popup signs in");
        await shots.TakeAsync("signed-in");

        // Test Connection with the token (trusting Dovecot's certificate), save: the first sync brings the 2 messages.
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test IMAP Connection" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trust this certificate" }).ClickAsync();
        await Expect(dialog.GetByText($"signed in as \"{Mailbox}\"")).ToBeVisibleAsync();
        await shots.TakeAsync("test-connection");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add Account" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        var card = page.GetByRole(AriaRole.Group, new() { Name = "Email account OAuth Inbox" });
        await Expect(card).ToContainTextAsync("OAuth2 (Test IdP)");
        await Expect(card).ToContainTextAsync("2 messages", new() { Timeout = 30_000 });
        await shots.TakeAsync("synced");
        await NoTokenIsShownOrLoggedAsync(app, page);

        // The grant is revoked at the provider: the next sync says "Reconnect needed" on the card.
        await authority.RevokeUserAsync(Mailbox);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sync OAuth Inbox" }).ClickAsync();
        await Expect(card.Locator(".reconnect-needed")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(card).ToContainTextAsync("Scheduled syncs are paused until you reconnect.");
        await Expect(card.Locator(".sync-error")).ToHaveCountAsync(0);
        await shots.TakeAsync("reconnect-needed");

        // Reconnect signs in again in the popup; the account syncs again and brings the new message.
        dovecot.DeliverToMaildir(Mailbox, [DovecotServer.CreateMessage(3)]);
        await ConsentInPopupAsync(page, card.GetByRole(AriaRole.Link, new() { Name = "Reconnect" }));
        await Expect(card.Locator(".reconnect-needed")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Expect(card).ToContainTextAsync("3 messages", new() { Timeout = 30_000 });
        await shots.TakeAsync("reconnected");
        await NoTokenIsShownOrLoggedAsync(app, page);
        tab.ConsoleErrors.Should().BeEmpty();
    }

    /// <summary>Clicks the sign-in link, consents as the mailbox in the popup, and waits until the popup has closed itself.</summary>
    private static async Task ConsentInPopupAsync(IPage page, ILocator link)
    {
        var popup = await page.RunAndWaitForPopupAsync(() => link.ClickAsync(), new() { Timeout = 30_000 });
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        popup.Close += (_, _) => closed.TrySetResult();
        await popup.GetByLabel("Mailbox").FillAsync(Mailbox);
        await popup.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        await Expect(popup.Locator("#oauth-outcome")).ToContainTextAsync($"Signed in as {Mailbox}");
        if (!popup.IsClosed)
        {
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The stored tokens (decrypted here) are neither in the page's HTML nor in anything the portal logged.</summary>
    private static async Task NoTokenIsShownOrLoggedAsync(PortalTestApp app, IPage page)
    {
        var secrets = app.Services.GetRequiredService<SecretProtector>();
        await using var db = await app.CreateDbContextAsync();
        var grants = await db.OAuthGrants.IgnoreQueryFilters().AsNoTracking().Where(g => g.PendingUntil == null).ToListAsync();
        grants.Should().NotBeEmpty();
        var html = await page.ContentAsync();
        var logs = app.Logs.AllText;
        foreach (var grant in grants)
        {
            var tokens = new[] { secrets.Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected) }
                .Concat(grant.RefreshTokenProtected is { } r ? [secrets.Unprotect(SecretKind.OAuthRefreshToken, r)] : []);
            foreach (var token in tokens)
            {
                html.Should().NotContain(token);
                logs.Should().NotContain(token);
            }
        }
    }

    private static async Task SeedServerAsync(PortalTestApp app)
    {
        await using var scope = app.Services.CreateScopeForTenant(DemoTenant.Id);
        var created = await scope.ServiceProvider.GetRequiredService<MailServerService>()
            .CreateAsync(new MailServerInput { Name = "OAuth SMTP", SmtpHost = "smtp.oauth.test" });
        created.Succeeded.Should().BeTrue(created.Message);
    }
}
