using EmailSettings.Core.Data;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace EmailSettings.Tests.EndToEnd.EmailLogs;

/// <summary>The real Portal on Kestrel over a temp SQLite file, driven by Chromium.</summary>
[Trait("Category", "Integration")]
public sealed class EmailLogsEndToEndTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly PortalTestApp app = PortalTestApp.StartDevelopment();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private async Task SeedAsync(int count)
    {
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        for (var i = 0; i < count; i++)
        {
            var failed = i % 3 == 0;
            db.EmailLog.Add(new EmailLogEntry
            {
                TenantId = DemoTenant.Id,
                FromAddress = "support@demo.example",
                AttemptedAt = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc).AddDays(i),
                Recipients = $"customer{i}@example.org",
                Subject = $"Message {i}",
                Status = failed ? EmailLogStatus.Failed : EmailLogStatus.Sent,
                Error = failed ? $"The mail server refused the recipient customer{i}@example.org: 550 5.1.1 User unknown. Nothing was sent." : null,
                ServerResponse = failed ? "550 5.1.1 User unknown" : "250 2.0.0 Ok: queued",
                MessageId = $"m{i}@demo.example",
            });
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task The_menu_leads_to_the_log_which_filters_by_status_and_shows_why_a_send_failed()
    {
        await SeedAsync(12);
        await using var tab = await browser.NewPageAsync(app.BaseUri);
        var page = tab.Page;
        await page.SignInAndOpenAsync(app.BaseUri.ToString(), TestUsers.DemoAdmin);

        await page.GetByRole(AriaRole.Link, new() { Name = "Email Logs" }).ClickAsync();

        await page.WaitForURLAsync("**/communications/email/logs");
        await page.Locator("#circuit-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var subjects = page.Locator("td[data-testid=log-subject]");
        await Assertions.Expect(subjects).ToHaveCountAsync(12);
        await Assertions.Expect(subjects.First).ToHaveTextAsync("Message 11");

        await page.Locator(".mud-select:has(label:text-is('Status')) .mud-input-control").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "Failed" }).ClickAsync();

        await Assertions.Expect(subjects).ToHaveTextAsync(["Message 9", "Message 6", "Message 3", "Message 0"]);
        await page.Locator("button[data-testid=toggle-details]").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=log-error]")).ToContainTextAsync(
            "The mail server refused the recipient customer9@example.org: 550 5.1.1 User unknown.");
        await Assertions.Expect(page.Locator("[data-testid=log-response]")).ToHaveTextAsync("550 5.1.1 User unknown");
    }
}
