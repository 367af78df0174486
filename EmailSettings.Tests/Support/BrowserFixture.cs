using Microsoft.Playwright;

namespace EmailSettings.Tests.Support;

/// <summary>
/// One headless Debian Chromium per test class (use as <c>IClassFixture&lt;BrowserFixture&gt;</c>); each test opens its
/// own context with <see cref="NewPageAsync"/>. Screenshots go to <c>screenshots/</c> in the test output folder.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;
    private IBrowser? browser;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public IBrowser Browser => browser ?? throw new InvalidOperationException("The browser is not started.");

    public async Task InitializeAsync()
    {
        ExternalServers.Starting("Chromium");
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is missing at {ChromiumPath}: install it with `apt-get install chromium` (test.sh does this).");
        }
        // Expect(...) waits 5 s by default; a loaded CI machine (Blazor render + SignalR round trip + SQLite) can
        // take longer without anything being wrong. Same patience as actions (15 s below); a real failure still fails.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        });
    }

    /// <summary>A page in a fresh context (no shared cookies or storage), with <paramref name="baseUrl"/> as its base URL.</summary>
    public async Task<BrowserPage> NewPageAsync(Uri baseUrl, int width = 1366, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return new BrowserPage(context, page);
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }
        playwright?.Dispose();
    }
}

/// <summary>A page and its own browser context; collects console errors and saves screenshots. Dispose to close both.</summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly List<string> consoleErrors = [];

    internal BrowserPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (consoleErrors)
                {
                    consoleErrors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (consoleErrors)
            {
                consoleErrors.Add(error);
            }
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (consoleErrors)
            {
                return consoleErrors.ToList();
            }
        }
    }

    /// <summary>Opens <paramref name="path"/> and waits until the Blazor circuit is connected (buttons work from then on).</summary>
    public async Task GotoAsync(string path)
    {
        await Page.GotoAsync(path);
        await WaitForCircuitAsync();
    }

    public Task WaitForCircuitAsync() =>
        Page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    /// <summary>Saves a full-page PNG under the screenshot folder and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = ScreenshotPath(name);
        // A full-page shot of a scrolled page draws the fixed app bar mid-page.
        await Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    /// <summary>
    /// Saves the viewport as it is (scrolled, focus rings and open tooltips included; a full-page shot scrolls to the
    /// top first, which moves a tooltip away) and returns its path.
    /// </summary>
    public async Task<string> ScreenshotViewportAsync(string name)
    {
        var path = ScreenshotPath(name);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    private static string ScreenshotPath(string name)
    {
        // A name may hold a sub-folder ("journey/01-empty-page") to keep one test's steps together.
        var path = Path.Combine(BrowserFixture.ScreenshotFolder, name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
