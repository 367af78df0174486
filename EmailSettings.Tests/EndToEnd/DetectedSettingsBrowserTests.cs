using System.Globalization;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Core.Autodetect;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// From an address to a syncing account in Chromium: the Portal's detector reaches the local DNS and HTTPS servers of
/// <see cref="AutodetectWorld"/> (its HttpClient handler and settings set through the test host, as the world does for
/// Core), whose ISPDB describes the test Dovecot and SMTP server. Screenshots go to screenshots/autodetect/.
/// </summary>
public sealed class DetectedSettingsBrowserTests(BrowserFixture browser, AutodetectWorld world)
    : IClassFixture<BrowserFixture>, IClassFixture<AutodetectWorld>
{
    private const string Domain = "autodetect-journey.test";
    private const string Address = "support@" + Domain;
    private const string SmtpPassword = "Smtp-Detected-2026";
    private const string ImapPassword = "Imap-Detected-2026";

    [Fact]
    public async Task An_admin_types_an_address_uses_the_proposal_tests_both_servers_saves_and_the_account_syncs()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(Address, SmtpPassword);
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(Address, ImapPassword);
        dovecot.DeliverToMaildir(Address, Enumerable.Range(1, 3).Select(n => DovecotServer.CreateMessage(n)));
        // The local ISPDB knows the domain: IMAP and SMTP with STARTTLS on the test servers' ports.
        world.AddIspdbEntry(Domain, AutoconfigSamples.Config(Domain,
            (dovecot.Host, dovecot.ImapPort, "STARTTLS", "%EMAILADDRESS%"), (smtp.Host, smtp.StartTlsPort, "STARTTLS", "%EMAILADDRESS%")));
        var smtpHostPort = $"{smtp.Host}:{smtp.StartTlsPort}";

        // Limits a machine busy with the whole suite cannot reach: this test is about the flow; Core tests hold the 5 s.
        var settings = world.Settings(new Dictionary<string, string?>
        {
            ["Enabled"] = "true", ["Timeout"] = "00:00:30", ["RequestTimeout"] = "00:00:15", ["DnsTimeout"] = "00:00:15",
        });
        settings["Sync:Interval"] = "01:00:00";
        await using var app = await PortalTestApp.StartAsync(kestrel: true, settings: settings, services: s => world.UseTestHandler(s));
        // The tenant sends through a relay already: the detected SMTP server is not one of its servers.
        var relay = (await app.ServiceFor<MailServerService>(app.TenantA).CreateAsync(new MailServerInput
        {
            Name = "Company relay", SmtpHost = "relay.example.com",
        })).Value!;
        await using var tab = await browser.NewPageAsync(new Uri(app.BaseUrl));
        var page = tab.Page;
        var shots = new Screenshots(tab, "autodetect");
        await page.SignInAndOpenAsync(app.BaseUrl, app.AdminA);

        // Add Email Account: leaving the address field looks it up; the proposal says where it came from.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Account", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Email Address").FillAsync(Address);
        await dialog.GetByLabel("Display Name").FocusAsync();
        await dialog.GetByLabel("Display Name").FillAsync("Support Inbox");
        var proposal = dialog.GetByTestId("proposal");
        await Expect(proposal.GetByTestId("proposal-source")).ToHaveTextAsync("Found in the Thunderbird database");
        await Expect(proposal.GetByTestId("proposal-imap")).ToContainTextAsync(
            $"{dovecot.Host}:{dovecot.ImapPort} (STARTTLS), username {Address}");
        var addServer = proposal.GetByRole(AriaRole.Checkbox, new() { Name = $"Add server {smtpHostPort} for this account" });
        await Expect(addServer).ToBeCheckedAsync();
        await Expect(dialog.GetByLabel("IMAP Host")).ToHaveValueAsync("");
        await shots.TakeAsync("proposal");

        // One click: IMAP filled in, the new server asks only for its password.
        await proposal.GetByRole(AriaRole.Button, new() { Name = "Use these settings" }).ClickAsync();
        await Expect(dialog.GetByLabel("IMAP Host")).ToHaveValueAsync(dovecot.Host);
        await Expect(dialog.GetByLabel("IMAP Port")).ToHaveValueAsync(dovecot.ImapPort.ToString(CultureInfo.InvariantCulture));
        await Expect(dialog.GetByLabel("IMAP Username")).ToHaveValueAsync(Address);
        await Expect(dialog.GetByLabel("Use TLS/SSL")).ToBeCheckedAsync();
        var newServer = dialog.GetByTestId("new-server");
        await Expect(newServer).ToContainTextAsync($"New mail server: {smtpHostPort}");
        await Expect(newServer.GetByLabel("Server Name")).ToHaveValueAsync($"{Domain} Mail");
        await Expect(dialog.GetByTestId("proposal-applied")).ToContainTextAsync($"Using the settings for {Domain}: Found in the Thunderbird database.");
        await dialog.GetByLabel("SMTP Password").FillAsync(SmtpPassword);
        await dialog.GetByLabel("IMAP Password").FillAsync(ImapPassword);
        await shots.TakeAsync("proposal-used");

        // Test both servers as detected (trusting the test servers' self-signed certificates).
        await newServer.GetByRole(AriaRole.Button, new() { Name = "Test SMTP Connection" }).ClickAsync();
        await newServer.GetByRole(AriaRole.Button, new() { Name = "Trust this certificate" }).ClickAsync();
        await Expect(newServer.GetByText($"and signed in as \"{Address}\".")).ToBeVisibleAsync();
        await shots.TakeAsync("smtp-test-succeeded");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test IMAP Connection" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Trust this certificate" }).ClickAsync();
        await Expect(dialog.GetByText($"signed in as \"{Address}\"")).ToHaveCountAsync(2);
        await Expect(dialog.GetByText("3 messages", new() { Exact = true })).ToBeVisibleAsync();
        await shots.TakeAsync("imap-test-succeeded");

        // Save: the server is added through the server service, the account sends through it, the first sync brings the mail in.
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add Account" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        var serverCard = page.GetByRole(AriaRole.Group, new() { Name = $"Mail server {Domain} Mail" });
        await Expect(serverCard).ToContainTextAsync(smtpHostPort);
        var accountCard = page.GetByRole(AriaRole.Group, new() { Name = "Email account Support Inbox" });
        await Expect(accountCard).ToContainTextAsync($"Sends via {Domain} Mail");
        await Expect(accountCard).ToContainTextAsync("3 messages", new() { Timeout = 30_000 });
        await shots.TakeAsync("account-saved-and-synced");

        var servers = await app.ServiceFor<MailServerService>(app.TenantA).ListAsync();
        servers.Should().HaveCount(2);
        servers.Single(s => s.Id == relay.Id).IsDefault.Should().BeTrue("the tenant's first server stays its default");
        var added = servers.Single(s => s.Id != relay.Id);
        added.Should().BeEquivalentTo(new { SmtpHost = smtp.Host, SmtpPort = smtp.StartTlsPort, UseTls = true, SmtpUsername = Address, HasPassword = true });
        added.PinnedCertificateSha256.Should().Be(smtp.CertificateSha256);
        var account = (await app.ServiceFor<EmailAccountService>(app.TenantA).ListAsync()).Should().ContainSingle().Subject;
        account.MailServerId.Should().Be(added.Id);
        account.ImapPinnedCertificateSha256.Should().Be(dovecot.CertificateSha256);

        // Add Mail Server detects from an address too, and says that the tenant has this server now.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Server", Exact = true }).ClickAsync();
        await dialog.GetByLabel("Detect from address").FillAsync("sales@" + Domain);
        await dialog.GetByLabel("Server Name").FocusAsync();
        await Expect(dialog.GetByTestId("proposal-smtp")).ToContainTextAsync($"{smtpHostPort} (STARTTLS), username sales@{Domain}");
        await Expect(dialog.GetByTestId("proposal-server")).ToHaveTextAsync($"Your mail server {Domain} Mail already uses {smtpHostPort}.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use these settings" }).ClickAsync();
        await Expect(dialog.GetByLabel("SMTP Host")).ToHaveValueAsync(smtp.Host);
        await Expect(dialog.GetByLabel("SMTP Port")).ToHaveValueAsync(smtp.StartTlsPort.ToString(CultureInfo.InvariantCulture));
        await Expect(dialog.GetByLabel("SMTP Username")).ToHaveValueAsync("sales@" + Domain);
        await Expect(dialog.GetByTestId("proposal-server")).ToHaveTextAsync($"Your mail server {Domain} Mail already uses {smtpHostPort}.");
        await shots.TakeAsync("add-server-detected");

        // A provider that needs OAuth2 says so (not configured on this installation); a domain with nothing says so next to the field.
        await dialog.GetByLabel("Detect from address").FillAsync("someone@gmail.com");
        await dialog.GetByLabel("Server Name").FocusAsync();
        await Expect(dialog.GetByTestId("sign-in-note")).ToContainTextAsync("Google needs OAuth2 sign-in; it is not configured on this installation.");
        await shots.TakeAsync("oauth2-provider");
        await dialog.GetByLabel("Detect from address").FillAsync("someone@nothing.test");
        await dialog.GetByLabel("Server Name").FocusAsync();
        await Expect(dialog.GetByTestId("detection-message")).ToHaveTextAsync("No settings found for nothing.test. Enter the server settings by hand.");
        await shots.TakeAsync("nothing-found");
        await dialog.Locator(".mud-dialog-actions").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        (await page.ContentAsync()).Should().NotContain(SmtpPassword).And.NotContain(ImapPassword);
        tab.ConsoleErrors.Should().BeEmpty();
    }
}
