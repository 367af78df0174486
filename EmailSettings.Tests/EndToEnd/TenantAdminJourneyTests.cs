using System.Globalization;
using System.Text.RegularExpressions;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// The acceptance journey of a new tenant admin, in Chromium against the real Portal on Kestrel, the in-process SMTP
/// server and a real Dovecot, over a fresh database. Screenshots of every step go to screenshots/journey/.
/// </summary>
[Trait("Category", "Integration")]
public class TenantAdminJourneyTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string SmtpUser = "mailer@journey.test";
    private const string SmtpPassword = "Smtp-Right-2026";
    private const string ImapUser = "support@journey.test";
    private const string ImapPassword = "Imap-Right-2026";

    [Fact]
    public async Task A_new_tenant_admin_sets_up_sending_and_syncing_from_an_empty_page_to_deleting_it_all()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(SmtpUser, SmtpPassword);
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(ImapUser, ImapPassword);
        dovecot.DeliverToMaildir(ImapUser, Enumerable.Range(1, 3).Select(n => DovecotServer.CreateMessage(n)));

        // A long interval: the only scheduled sync is the immediate one after saving; later syncs are the clicks.
        await using var app = PortalTestApp.StartDevelopment(JourneySettings.Values);
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        var shots = new Screenshots(tab, "journey");

        // Sign in as the tenant admin; the empty page says where to start.
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("No mail servers yet")).ToBeVisibleAsync();
        await Expect(page.GetByText("Start here: add the SMTP server your email is sent through.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Add a mail server first; then add an account that sends through it.")).ToBeVisibleAsync();
        await shots.TakeAsync("empty-page");

        // Add Account without a server warns that a server is needed.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByText("A mail server must be added first.")).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Email Address")).ToHaveCountAsync(0);
        await shots.TakeAsync("add-account-needs-a-server");
        await dialog.Locator(".mud-dialog-actions").GetByRole(AriaRole.Button, new() { Name = "OK" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // Add Server: 587 and TLS on by default.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Server", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("Add Mail Server")).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("SMTP Port")).ToHaveValueAsync("587");
        await Expect(dialog.GetByLabel("Use TLS/STARTTLS")).ToBeCheckedAsync();
        await shots.TakeAsync("add-server-defaults");
        await dialog.GetByLabel("Server Name").FillAsync("Journey SMTP");
        await dialog.GetByLabel("SMTP Host").FillAsync(smtp.Host);
        await dialog.GetByLabel("SMTP Port").FillAsync(smtp.StartTlsPort.ToString(CultureInfo.InvariantCulture));
        await dialog.GetByLabel("SMTP Username").FillAsync(SmtpUser);
        await dialog.GetByLabel("SMTP Password").FillAsync("Wrong-Password-1");

        // The self-signed certificate is shown first; trusting it pins it and tests again: the wrong password fails.
        var testSmtp = dialog.GetByRole(AriaRole.Button, new() { Name = "Test Connection" });
        await testSmtp.ClickAsync();
        await Expect(dialog.GetByText("The server's certificate is not trusted")).ToBeVisibleAsync();
        await Expect(dialog.GetByText(FormatFingerprint(smtp.CertificateSha256))).ToBeVisibleAsync();
        await shots.TakeAsync("smtp-certificate-not-trusted");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trust this certificate" }).ClickAsync();
        await Expect(dialog.GetByText($"The server rejected the sign-in as \"{SmtpUser}\".")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("Check SMTP Username and SMTP Password.")).ToBeVisibleAsync();
        await shots.TakeAsync("smtp-wrong-password");

        // The right password authenticates.
        await dialog.GetByLabel("SMTP Password").FillAsync(SmtpPassword);
        await testSmtp.ClickAsync();
        await Expect(dialog.GetByText($"and signed in as \"{SmtpUser}\".")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("The certificate was accepted because you chose to trust it.")).ToBeVisibleAsync();
        await shots.TakeAsync("smtp-test-succeeded");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add Server" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        var serverCard = page.GetByRole(AriaRole.Group, new() { Name = "Mail server Journey SMTP" });
        await Expect(serverCard).ToContainTextAsync($"{smtp.Host}:{smtp.StartTlsPort}");
        await Expect(serverCard).ToContainTextAsync("Default");
        await Expect(page.GetByText("Click Add Account to create an address")).ToBeVisibleAsync();
        await shots.TakeAsync("server-saved");

        // Add Account: pick the server, fill IMAP, test it (trusting Dovecot's certificate), save.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("Add Email Account")).ToBeVisibleAsync();
        await dialog.GetByLabel("Email Address").FillAsync(ImapUser);
        await dialog.GetByLabel("Display Name").FillAsync("Support Inbox");
        await dialog.GetByLabel("Mail Server").ClickAsync();
        var serverLabel = $"Journey SMTP ({smtp.Host}:{smtp.StartTlsPort})";
        await page.GetByRole(AriaRole.Listbox).GetByText(serverLabel, new() { Exact = true }).ClickAsync();
        await Expect(dialog.GetByLabel("Mail Server")).ToHaveValueAsync(serverLabel);
        await Expect(dialog.GetByLabel("IMAP Port")).ToHaveValueAsync("993");
        await Expect(dialog.GetByLabel("Use TLS/SSL")).ToBeCheckedAsync();
        await dialog.GetByLabel("IMAP Host").FillAsync(dovecot.Host);
        await dialog.GetByLabel("IMAP Port").FillAsync(dovecot.ImapPort.ToString(CultureInfo.InvariantCulture));
        await dialog.GetByLabel("IMAP Username").FillAsync(ImapUser);
        await dialog.GetByLabel("IMAP Password").FillAsync(ImapPassword);
        var testImap = dialog.GetByRole(AriaRole.Button, new() { Name = "Test IMAP Connection" });
        await testImap.ClickAsync();
        await Expect(dialog.GetByText("The server's certificate is not trusted")).ToBeVisibleAsync();
        await shots.TakeAsync("imap-certificate-not-trusted");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trust this certificate" }).ClickAsync();
        await Expect(dialog.GetByText($"signed in as \"{ImapUser}\"")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("3 messages", new() { Exact = true })).ToBeVisibleAsync();
        // The result sits below the fold of the long account dialog: the panel brings it into view.
        await Expect(dialog.GetByText("The certificate was accepted because you chose to trust it.")).ToBeInViewportAsync();
        await shots.TakeAsync("imap-test-succeeded");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add Account" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // Saving schedules the first sync at once: it brings the 3 messages in.
        var supportCard = page.GetByRole(AriaRole.Group, new() { Name = "Email account Support Inbox" });
        await Expect(supportCard).ToContainTextAsync("Sends via Journey SMTP");
        await Expect(supportCard).ToContainTextAsync($"IMAP {dovecot.Host}:{dovecot.ImapPort}");
        await Expect(supportCard).ToContainTextAsync("3 messages", new() { Timeout = 30_000 });
        var syncSupport = page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox" });
        await Expect(syncSupport).Not.ToHaveClassAsync(Spinning);
        await Expect(serverCard).ToContainTextAsync("Used by 1 account");
        await shots.TakeAsync("account-saved-and-synced");

        // Mark it default.
        await Expect(supportCard.GetByText("Default", new() { Exact = true })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Make Support Inbox the default" }).ClickAsync();
        await Expect(supportCard.GetByText("Default", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Make Support Inbox the default" })).ToHaveCountAsync(0);
        await shots.TakeAsync("account-default");

        // Two new messages arrive; a manual sync spins (held at its start so the spin is seen), then they appear.
        dovecot.DeliverToMaildir(ImapUser, Enumerable.Range(4, 2).Select(n => DovecotServer.CreateMessage(n)));
        using (var hold = SyncHold.Arm(app.Services, TestUsers.DemoAdmin.TenantId))
        {
            await syncSupport.ClickAsync();
            await hold.Reached;
            await Expect(syncSupport).ToHaveClassAsync(Spinning);
            await shots.TakeAsync("sync-spinning");
            hold.Release();
            await Expect(syncSupport).Not.ToHaveClassAsync(Spinning);
        }
        await Expect(supportCard).ToContainTextAsync("5 messages");
        await supportCard.GetByRole(AriaRole.Link, new() { Name = "View messages" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Messages of Support Inbox", Exact = true })).ToBeVisibleAsync();
        await tab.WaitForCircuitAsync();
        await Expect(page.GetByText(ImapUser, new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sync Support Inbox", Exact = true })).ToBeVisibleAsync();
        var rows = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Test message" });
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(rows.First).ToContainTextAsync("Test message 5");
        await Expect(rows.Last).ToContainTextAsync("Test message 1");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Test message 4" })).ToContainTextAsync("sender@example.com");
        await shots.TakeAsync("messages-view");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to Email Settings" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email Settings", Level = 1 })).ToBeVisibleAsync();
        await tab.WaitForCircuitAsync();

        // Edit the server with the password left blank: the next test still signs in with the saved one.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Journey SMTP" }).ClickAsync();
        await Expect(dialog.GetByText("Edit Mail Server")).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("SMTP Password")).ToHaveValueAsync("");
        await Expect(dialog.GetByText("Leave blank to keep the existing password")).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test Connection" }).ClickAsync();
        await Expect(dialog.GetByText($"and signed in as \"{SmtpUser}\".")).ToBeVisibleAsync();
        await shots.TakeAsync("edit-server-blank-password-test");
        var attempts = smtp.AuthenticationAttempts.Count;
        attempts.Should().BeGreaterThanOrEqualTo(3, "the wrong password, the right one and the saved one were each tried");
        await dialog.GetByLabel("Server Name").FillAsync("Journey SMTP relay");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save Changes" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        serverCard = page.GetByRole(AriaRole.Group, new() { Name = "Mail server Journey SMTP relay" });
        await Expect(serverCard).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Journey SMTP relay" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test Connection" }).ClickAsync();
        await Expect(dialog.GetByText($"and signed in as \"{SmtpUser}\".")).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        // A second account made default: the badge moves to it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        await dialog.GetByLabel("Email Address").FillAsync("sales@journey.test");
        await dialog.GetByLabel("Display Name").FillAsync("Sales");
        await Expect(dialog.GetByLabel("Mail Server")).ToHaveValueAsync($"Journey SMTP relay ({smtp.Host}:{smtp.StartTlsPort})");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add Account" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        var salesCard = page.GetByRole(AriaRole.Group, new() { Name = "Email account Sales" });
        await Expect(salesCard).ToContainTextAsync("Incoming sync not configured");
        await Expect(supportCard.GetByText("Default", new() { Exact = true })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Make Sales the default" }).ClickAsync();
        await Expect(salesCard.GetByText("Default", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(supportCard.GetByText("Default", new() { Exact = true })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Make Support Inbox the default" })).ToBeVisibleAsync();
        await shots.TakeAsync("default-moved");

        // Delete the account and then the server, with the spec's confirmation texts.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Sales" }).ClickAsync();
        await Expect(dialog.GetByText("Are you sure you want to delete the account Sales? This cannot be undone.", new() { Exact = true })).ToBeVisibleAsync();
        await shots.TakeAsync("confirm-delete-account");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(salesCard).ToHaveCountAsync(0);
        await Expect(page.GetByText("Deleted the account Sales.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Journey SMTP relay" }).ClickAsync();
        await Expect(dialog.GetByText("Are you sure you want to delete Journey SMTP relay? This cannot be undone.", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("1 email account uses this server and will lose its outbound server: Support Inbox.")).ToBeVisibleAsync();
        await shots.TakeAsync("confirm-delete-server");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(serverCard).ToHaveCountAsync(0);
        await Expect(page.GetByText("No mail servers yet")).ToBeVisibleAsync();
        await Expect(supportCard.GetByText("No mail server: its server was deleted, so this account cannot send.")).ToBeVisibleAsync();
        await Expect(supportCard).ToContainTextAsync("5 messages");
        await shots.TakeAsync("orphaned-account");

        (await page.ContentAsync()).Should().NotContain(SmtpPassword).And.NotContain(ImapPassword);
        tab.ConsoleErrors.Should().BeEmpty();
    }

    internal static readonly Regex Spinning = new(@"\bsync-spinning\b");

    private static string FormatFingerprint(string sha256) =>
        string.Join(':', Enumerable.Range(0, sha256.Length / 2).Select(i => sha256.Substring(i * 2, 2)));
}

/// <summary>The configuration every end-to-end journey runs with.</summary>
internal static class JourneySettings
{
    /// <summary>The first scheduled sync still runs at once after a save; the next one is an hour away, after the test.</summary>
    public static IReadOnlyDictionary<string, string?> Values { get; } = new Dictionary<string, string?>
    {
        ["Sync:Interval"] = "01:00:00",
    };
}

/// <summary>Numbered screenshots of one test's steps, in a sub-folder of the screenshot folder.</summary>
internal sealed class Screenshots(BrowserPage tab, string folder)
{
    private int step;

    public Task<string> TakeAsync(string name) => tab.ScreenshotAsync($"{folder}/{++step:00}-{name}");
}
