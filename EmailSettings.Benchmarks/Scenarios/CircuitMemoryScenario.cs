using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.Data;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using System.Runtime;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>
/// Issue 13 (was 9.5): managed heap per idle circuit of the Email Settings page for a tenant with 20 servers and 50
/// accounts. The real Portal runs in this process on Kestrel; Chromium opens the page in several tabs at once, one
/// circuit each. The heap is measured after full collections before and after the circuits connect, once no circuit
/// of an earlier group is left. Target: at most 1.5 MB per circuit (the next 10), reported with its ratio to the app
/// shell's circuit in the same run.
/// </summary>
public static class CircuitMemoryScenario
{
    private const string Path = "/communications/settings/email";
    private const int Circuits = 10;
    private const long TargetBytes = 1536 * 1024;
    private static readonly TimeSpan CircuitTeardown = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(Report report)
    {
        using var circuits = new CircuitCounter();
        await using var app = PortalTestApp.StartDevelopment(captureLogs: false);
        var baseUrl = app.BaseUri.ToString().TrimEnd('/');
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

        // The same measurement with no circuit (a static file: what a tab and the test driver cost) and on the app's
        // shell (the not-found page inside the layout: what any circuit of this app costs) tells what the cards add.
        // The sign-in tab and the warm-up tab keep their circuits to the end.
        var baseline = circuits.Active;
        var noCircuit = await MeasureAsync(context, baseUrl, "/favicon.svg", circuits, baseline);
        Console.WriteLine($"circuit-memory: tab without a circuit (static file) {noCircuit} per tab");
        // Once unreported: the first groups after start-up also release start-up garbage (sign-in, migrations, JIT),
        // which showed as a negative "next 10" for whichever path came first.
        await MeasureAsync(context, baseUrl, "/communications/no-such-page", circuits, baseline);
        var shell = await MeasureAsync(context, baseUrl, "/communications/no-such-page", circuits, baseline);
        Console.WriteLine($"circuit-memory: app shell (not-found page in the layout) {shell} per circuit");
        if (Environment.GetEnvironmentVariable("BENCH_MEMORY_EXTRA") is { Length: > 0 } extra)
        {
            foreach (var extraPath in extra.Split(','))
            {
                Console.WriteLine($"circuit-memory: {extraPath} {await MeasureAsync(context, baseUrl, extraPath, circuits, baseline)} per circuit");
            }
        }

        Console.WriteLine($"circuit-memory: opening 2 x {Circuits} circuits on {Path}");
        var page = await MeasureAsync(context, baseUrl, Path, circuits, baseline);
        var cards = $"{EmailSettingsPage.FirstServerCards} server and {EmailSettingsPage.FirstAccountCards} account cards at first";
        report.Add(new ResultRow(
            "5. Memory per circuit", $"idle settings page, 20 servers / 50 accounts ({cards}), 2 x {Circuits} circuits",
            $"{Kb(page.Next)} per circuit (next {Circuits}); {Kb(page.First)} (first {Circuits})",
            $"app shell {Kb(shell.Next)} ({Kb(shell.First)}); tab without circuit {Kb(noCircuit.Next)} ({Kb(noCircuit.First)})",
            $"{(double)page.Next / shell.Next:0.0}x the shell; page adds {Kb(page.Next - shell.Next)}", "<= 1,536 KB (1.5 MB)", page.Next <= TargetBytes,
            "managed heap after forced full collections, each group measured once the circuits of the one before are gone; the first circuits also grow shared buffer pools once"));
    }

    private static string Kb(long bytes) => $"{bytes / 1024.0:0} KB";

    /// <summary>
    /// Heap growth per tab for <see cref="Circuits"/> tabs, then for as many more. The first group also pays for shared
    /// pools that grow once (ArrayPool, Kestrel's memory pool, JIT'd code paths); the second is what one more circuit costs.
    /// </summary>
    private static async Task<PerCircuit> MeasureAsync(IBrowserContext context, string baseUrl, string path, CircuitCounter circuits, long baseline)
    {
        var name = path.Trim('/').Replace('/', '-').Replace('.', '-');
        var pages = new List<IPage>();
        await circuits.WaitForAsync(baseline, CircuitTeardown);
        var start = Heap();
        await GcDumpAsync(name + "-before");
        var first = await OpenManyAsync(context, baseUrl, path, pages) - start;
        var middle = Heap();
        await GcDumpAsync(name + "-middle");
        var next = await OpenManyAsync(context, baseUrl, path, pages) - middle;
        await GcDumpAsync(name + "-after");
        foreach (var page in pages)
        {
            await page.CloseAsync();
        }
        await circuits.WaitForAsync(baseline, CircuitTeardown);
        return new PerCircuit(first / Circuits, next / Circuits);
    }

    /// <summary>Opens <see cref="Circuits"/> tabs on the path and returns the heap once they are idle.</summary>
    private static async Task<long> OpenManyAsync(IBrowserContext context, string baseUrl, string path, List<IPage> pages)
    {
        for (var i = 0; i < Circuits; i++)
        {
            pages.Add(await OpenAsync(context, baseUrl, path));
        }
        // Idle means after the first renders and their acknowledgements: wait, then measure.
        await Task.Delay(TimeSpan.FromSeconds(3));
        return Heap();
    }

    private sealed record PerCircuit(long First, long Next)
    {
        public override string ToString() => $"{Kb(Next)} (first {Circuits}: {Kb(First)})";
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, string baseUrl, string path = Path)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + path);
        if (!path.Contains('.', StringComparison.Ordinal))
        {
            await WaitForCircuitAsync(page);
        }
        if (path == Path)
        {
            // The page shows the first cards of each section (EmailSettingsPage.FirstAccountCards) and counts the rest.
            await page.GetByText("Account 00001").First.WaitForAsync();
        }
        return page;
    }

    private static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 60_000 });

    /// <summary>
    /// With BENCH_GCDUMP_DIR set, writes a heap dump of this process there: with dotnet-gcdump (on the PATH), or with
    /// BENCH_FULLDUMP=1 a full heap dump with dotnet-dump, for <c>dotnet-dump analyze x.dmp -c "dumpheap -stat -live"</c>.
    /// </summary>
    private static async Task GcDumpAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("BENCH_GCDUMP_DIR") is not { Length: > 0 } folder)
        {
            return;
        }
        var pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var path = System.IO.Path.Combine(folder, name);
        using var process = Environment.GetEnvironmentVariable("BENCH_FULLDUMP") == "1"
            ? System.Diagnostics.Process.Start("dotnet-dump", ["collect", "-p", pid, "--type", "Heap", "-o", path + ".dmp"])
            : System.Diagnostics.Process.Start("dotnet-gcdump", ["collect", "-p", pid, "-o", path + ".gcdump"]);
        await process.WaitForExitAsync();
    }

    /// <summary>
    /// Live bytes on the managed heap after full, compacting collections (the large object heap compacted too),
    /// without the pinned object heap: that is where Kestrel's transport buffers live, and since .NET 10 Kestrel
    /// returns idle ones to the OS on its own schedule, which showed as random negative figures per group of tabs.
    /// </summary>
    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        // Generations 0, 1, 2 and the large object heap; index 4 is the pinned object heap.
        long live = 0;
        for (var generation = 0; generation <= 3; generation++)
        {
            var g = info.GenerationInfo[generation];
            live += g.SizeAfterBytes - g.FragmentationAfterBytes;
        }
        return live;
    }
}
