using System.Net;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Tests.Support;

/// <summary>
/// The real Portal (Program.cs, cookie sign-in, antiforgery, Blazor prerendering) in memory over a temp SQLite file,
/// with two tenants that each have an admin and a user without the role. Logs are captured.
/// Browser-like clients keep cookies and do not follow redirects, so tests see every redirect.
/// </summary>
public sealed class PortalTestApp : WebApplicationFactory<Program>
{
    private readonly string environment;
    private readonly List<AsyncServiceScope> scopes = [];
    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? services;

    public PortalTestApp(string environment = "Testing", string? folder = null, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        this.environment = environment;
        this.settings = settings ?? new Dictionary<string, string?>();
        this.services = services;
        Folder = folder ?? TempFolder.Create("emailsettings-portal");
    }

    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "portal.db");
    public string ConnectionString => $"Data Source={DatabasePath}";
    public CapturedLogs Logs { get; } = new();

    public Guid TenantA { get; } = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    public Guid TenantB { get; } = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");
    public TestUser AdminA { get; private set; } = default!;
    public TestUser UserA { get; private set; } = default!;
    public TestUser AdminB { get; private set; } = default!;
    public TestUser UserB { get; private set; } = default!;

    /// <summary>The Kestrel address (e.g. http://127.0.0.1:41234) when started with a real server for a browser.</summary>
    public string BaseUrl { get; private set; } = "http://localhost";

    /// <summary>
    /// Starts the app and creates "Tenant A" and "Tenant B" with admin@a.test/user@a.test and admin@b.test/user@b.test.
    /// With <paramref name="kestrel"/> the app listens on a free local port (<see cref="BaseUrl"/>) for Playwright.
    /// </summary>
    /// <param name="settings">Extra configuration seen by Program.cs, for example <c>["Auth:RevalidationInterval"] = "00:00:00.2"</c>.</param>
    /// <param name="services">Changes the app's services after Program.cs registered its own (e.g. the detector's HttpClient handler pointed at AutodetectWorld).</param>
    public static async Task<PortalTestApp> StartAsync(string environment = "Testing", string? folder = null, bool kestrel = false,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = new PortalTestApp(environment, folder, settings, services);
        if (kestrel)
        {
            app.UseKestrel(0);
            app.StartServer();
            app.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
                .Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        }
        else
        {
            _ = app.Server;
        }
        app.AdminA = await TestUsers.CreateAsync(app.Services, app.TenantA, "admin@a.test", isTenantAdmin: true, tenantName: "Tenant A");
        app.UserA = await TestUsers.CreateAsync(app.Services, app.TenantA, "user@a.test", isTenantAdmin: false, tenantName: "Tenant A");
        app.AdminB = await TestUsers.CreateAsync(app.Services, app.TenantB, "admin@b.test", isTenantAdmin: true, tenantName: "Tenant B");
        app.UserB = await TestUsers.CreateAsync(app.Services, app.TenantB, "user@b.test", isTenantAdmin: false, tenantName: "Tenant B");
        return app;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        // Outside Development the framework only serves published assets; the browser tests need blazor.web.js and MudBlazor's.
        builder.UseStaticWebAssets();
        builder.UseSetting($"ConnectionStrings:{DatabaseOptions.ConnectionStringName}", ConnectionString);
        // Tests reach no internet: settings detection answers from the presets only, unless a test points it at AutodetectWorld.
        builder.UseSetting("Autodetect:Enabled", "false");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client that behaves like a browser tab: keeps cookies, shows redirects instead of following them.</summary>
    public HttpClient CreateBrowserClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A browser client signed in as <paramref name="user"/> through the sign-in form.</summary>
    public async Task<HttpClient> SignedInClientAsync(TestUser user)
    {
        var client = CreateBrowserClient();
        var response = await client.SignInAsync(user.Email, user.Password);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, $"{user.Email} should be able to sign in");
        return client;
    }

    /// <summary>
    /// A DI scope of the running app whose Core services act for <paramref name="tenantId"/>, the way background jobs
    /// do (<see cref="TenantScopes.CreateScopeForTenant(IServiceProvider, Guid, bool)"/>); null: a scope with nobody signed in.
    /// </summary>
    public IServiceProvider ServicesFor(Guid? tenantId, bool isAdmin = true)
    {
        var scope = tenantId is { } id ? Services.CreateScopeForTenant(id, isAdmin) : Services.CreateAsyncScope();
        scopes.Add(scope);
        return scope.ServiceProvider;
    }

    public T ServiceFor<T>(Guid tenantId, bool isAdmin = true) where T : notnull =>
        ServicesFor(tenantId, isAdmin).GetRequiredService<T>();

    /// <summary>A context that sees every tenant's rows, for assertions on what is really stored.</summary>
    public Task<EmailSettingsDbContext> CreateDbContextAsync() =>
        Services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>().CreateForAllTenantsAsync();

    public override async ValueTask DisposeAsync()
    {
        foreach (var scope in scopes)
        {
            await scope.DisposeAsync();
        }
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempFolder.Delete(Folder);
    }
}

public static class PortalClientExtensions
{
    public const string SignInPath = "/account/sign-in";

    /// <summary>
    /// Signs in as a browser does: opens the sign-in page (with the return URL, if any), reads the form with its
    /// antiforgery token and posts it. Returns the post's response (a redirect on success, the page again on failure).
    /// </summary>
    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient client, string email, string password, string? returnUrl = null)
    {
        var page = returnUrl is null ? SignInPath : $"{SignInPath}?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        return await client.SubmitSignInFormAsync(page, email, password);
    }

    /// <summary>Posts the sign-in form found at <paramref name="signInPageUrl"/> (e.g. a redirect's Location).</summary>
    public static async Task<HttpResponseMessage> SubmitSignInFormAsync(this HttpClient client, string signInPageUrl, string email, string password)
    {
        var html = await client.GetStringAsync(signInPageUrl);
        var form = HtmlForm.Parse(html, "form[method=post]");
        return await client.PostAsync(form.Action ?? signInPageUrl, form.Content(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The path and query a redirect points to, whether the Location is absolute or relative.</summary>
    public static string RedirectTarget(this HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var location = response.Headers.Location!;
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }
}
