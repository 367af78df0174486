using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.Data;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>
/// Issue 9.5: managed heap per idle circuit of the Email Settings page (20 servers, 50 accounts). The real Portal
/// runs in this process on Kestrel; Chromium opens the page in several tabs at once, one circuit each. The heap is
/// measured after full collections before and after the circuits connect. Target: under 500 KB per circuit.
/// </summary>
public static class CircuitMemoryScenario
{
    private const string Path = "/communications/settings/email";
    private const int Circuits = 10;

    public static async Task RunAsync(Report report)
    {
        await using var app = new PortalApp();
        var baseUrl = app.BaseUrl.ToString().TrimEnd('/');
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>().CreateDbContextAsync())
        {
            await SettingsSeeder.SeedAsync(db, app.Services.GetRequiredService<SecretProtector>(), DemoTenant.Id, servers: 20, accounts: 50, addTenant: false);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        await using var context = await browser.NewContextAsync();

        // Sign in once (the cookie serves every tab) and warm up: JIT, MudBlazor, EF, Identity.
        var first = await context.NewPageAsync();
        await first.GotoAsync($"{baseUrl}/account/sign-in?ReturnUrl={Uri.EscapeDataString(Path)}");
        await first.GetByLabel("Email").FillAsync(DemoUsers.DemoAdminEmail);
        await first.GetByLabel("Password").FillAsync(DemoUsers.Password);
        await first.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await first.WaitForURLAsync(url => new Uri(url).AbsolutePath == Path);
        await WaitForCircuitAsync(first);
        var warm = await OpenAsync(context, baseUrl);
        if (await warm.GetByText("Account 00001").CountAsync() == 0)
        {
            throw new InvalidOperationException("The page did not show the seeded accounts.");
        }

        // The same measurement on the almost empty home page separates what any circuit of this app costs from
        // what the settings page adds.
        Console.WriteLine($"circuit-memory: opening {Circuits} circuits on /");
        var homeBefore = Heap();
        var homePages = new List<IPage>();
        for (var i = 0; i < Circuits; i++)
        {
            homePages.Add(await OpenAsync(context, baseUrl, "/"));
        }
        var homePerCircuit = (Heap() - homeBefore) / Circuits;
        foreach (var page in homePages)
        {
            await page.CloseAsync();
        }

        Console.WriteLine($"circuit-memory: opening {Circuits} circuits on {Path}");
        var before = Heap();
        await GcDumpAsync("before");
        var pages = new List<IPage>();
        for (var i = 0; i < Circuits; i++)
        {
            pages.Add(await OpenAsync(context, baseUrl));
        }
        var after = Heap();
        await GcDumpAsync("after");
        var perCircuit = (after - before) / Circuits;
        report.Add(new ResultRow(
            "5. Memory per circuit", $"idle settings page, 20 servers / 50 accounts, {Circuits} circuits",
            $"{perCircuit / 1024.0:0} KB per circuit",
            $"{before / 1024.0 / 1024.0:0.0} MB heap with 2 circuits",
            $"home page: {homePerCircuit / 1024.0:0} KB per circuit", "< 500 KB", perCircuit < 500 * 1024,
            $"heap {before / 1024.0 / 1024.0:0.0} -> {after / 1024.0 / 1024.0:0.0} MB"));

        foreach (var page in pages)
        {
            await page.CloseAsync();
        }
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, string baseUrl, string path = Path)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + path);
        await WaitForCircuitAsync(page);
        if (path == Path)
        {
            // The page shows the first cards of each section (EmailSettingsPage.CardPageSize) and counts the rest.
            await page.GetByText("Account 00001").First.WaitForAsync();
        }
        return page;
    }

    private static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 60_000 });

    /// <summary>With BENCH_GCDUMP_DIR set, writes a heap dump of this process there (dotnet-gcdump on the PATH).</summary>
    private static async Task GcDumpAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("BENCH_GCDUMP_DIR") is not { Length: > 0 } folder)
        {
            return;
        }
        using var process = System.Diagnostics.Process.Start("dotnet-gcdump",
            ["collect", "-p", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", System.IO.Path.Combine(folder, name + ".gcdump")]);
        await process.WaitForExitAsync();
    }

    /// <summary>Managed heap after full, compacting collections (finalizers run in between).</summary>
    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
