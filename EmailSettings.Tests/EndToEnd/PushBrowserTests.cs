using System.Diagnostics;
using EmailSettings.Core.Sync.Push;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>IMAP IDLE push seen in Chromium: new mail on the open messages page within seconds, with polls 5 minutes apart.</summary>
public sealed class PushBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string ImapUser = "push@push.test";
    private const string ImapPassword = "Imap-Push-2026";

    [Fact]
    public async Task Mail_appended_on_the_server_appears_on_the_open_messages_page_within_5_seconds()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        dovecot.AddUser(ImapUser, ImapPassword);
        dovecot.DeliverToMaildir(ImapUser, [DovecotServer.CreateMessage(1)]);
        await using var app = PortalTestApp.StartDevelopment(new Dictionary<string, string?> { ["Sync:Interval"] = "00:05:00" });
        var baseUrl = app.BaseUrl.ToString();
        var accountId = await SeedAccountAsync(app, dovecot);
        var watchers = app.Services.GetRequiredService<IdleWatchers>();
        await Eventually.HoldsAsync(() => watchers.IsIdling(DemoTenant.Id, accountId), "the account idles after its first sync", TimeSpan.FromSeconds(30));

        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        var shots = new Screenshots(tab, "push");
        await page.SignInAndOpenAsync(baseUrl, TestUsers.DemoAdmin, $"/communications/settings/email/accounts/{accountId}/messages");
        await Expect(page.GetByText("Test message 1", new() { Exact = true })).ToBeVisibleAsync();
        await shots.TakeAsync("before");

        var clock = Stopwatch.StartNew();
        await dovecot.AppendAsync(ImapUser, ImapPassword, [DovecotServer.CreateMessage(2)]);
        await Expect(page.GetByText("Test message 2", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 5_000 });
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        await shots.TakeAsync("pushed");
        tab.ConsoleErrors.Should().BeEmpty();
    }

    private static Task<int> SeedAccountAsync(PortalTestApp app, DovecotServer dovecot) =>
        app.SeedSyncingAccountAsync(dovecot, ImapUser, ImapPassword, "Push SMTP", "smtp.push.test");
}
