using EmailSettings.Core.Data;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace EmailSettings.Tests.EndToEnd.EmailLogs;

/// <summary>The real Portal on Kestrel over a temp SQLite file, driven by Chromium.</summary>
public sealed class EmailLogsEndToEndTests : IAsyncLifetime
{
    private readonly string folder = TempFolder.Create("emailsettings-e2e-logs");
    private WebApplicationFactory<Program> factory = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private string baseUrl = "";

    public async Task InitializeAsync()
    {
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Development")
            .UseSetting($"ConnectionStrings:{DatabaseOptions.ConnectionStringName}", $"Data Source={Path.Combine(folder, "portal.db")}")
            .UseSetting("DataProtection:KeysPath", Path.Combine(folder, "keys")));
        factory.UseKestrel(0);
        factory.StartServer();
        baseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempFolder.Delete(folder);
    }

    private async Task SeedAsync(int count)
    {
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>();
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
        var page = await browser.NewPageAsync();
        await page.GotoAsync(baseUrl + "/");
        await page.Locator("#circuit-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

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
