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
/// The one WebApplicationFactory: the real Portal (Program.cs: migrations, cookie sign-in, antiforgery, Blazor
/// prerendering, MudBlazor) over a temp SQLite file and key ring in its own folder. Logs are captured.
/// In memory for HTTP tests (<see cref="StartAsync"/>, with two tenants and their users), or on Kestrel at a free
/// port for a browser: <see cref="StartAsync"/> with <c>kestrel: true</c>, or <see cref="StartDevelopment"/> for the
/// portal exactly as <c>dotnet run</c> starts it (Development, demo tenants and users seeded).
/// </summary>
/// <remarks>
/// This part has no test-framework code so that the benchmarks can compile it too; the test users and signed-in
/// clients are in PortalTestApp.Users.cs.
/// </remarks>
public sealed partial class PortalTestApp : WebApplicationFactory<Program>
{
    private readonly string environment;
    private readonly List<AsyncServiceScope> scopes = [];
    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly bool captureLogs;
    private readonly Action<IServiceCollection>? services;

    /// <param name="services">Changes the app's services after Program.cs registered its own (e.g. the detector's HttpClient handler pointed at AutodetectWorld).</param>
    public PortalTestApp(string environment = "Testing", string? folder = null, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
        : this(environment, folder, settings, captureLogs: true, services)
    {
    }

    private PortalTestApp(string environment, string? folder, IReadOnlyDictionary<string, string?>? settings, bool captureLogs,
        Action<IServiceCollection>? services)
    {
        this.environment = environment;
        this.settings = settings ?? new Dictionary<string, string?>();
        this.captureLogs = captureLogs;
        this.services = services;
        Folder = folder ?? TempFolder.Create("emailsettings-portal");
    }

    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "portal.db");
    public string ConnectionString => $"Data Source={DatabasePath}";
    public CapturedLogs Logs { get; } = new();

    public Guid TenantA { get; } = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    public Guid TenantB { get; } = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");

    /// <summary>The Kestrel address (e.g. http://127.0.0.1:41234) when started with a real server for a browser.</summary>
    public string BaseUrl { get; private set; } = "http://localhost";

    /// <summary><see cref="BaseUrl"/> as a URI ending in a slash, e.g. for <c>BrowserFixture.NewPageAsync</c>.</summary>
    public Uri BaseUri => new(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/");

    /// <summary>
    /// The portal as <c>dotnet run</c> starts it: Development environment (the README's demo tenants and users are
    /// seeded, see <c>TestUsers.DemoAdmin</c>), on Kestrel at a free local port (<see cref="BaseUri"/>).
    /// </summary>
    /// <param name="settings">Extra configuration seen by Program.cs, for example <c>["Sync:Interval"] = "01:00:00"</c>.</param>
    /// <param name="captureLogs">False keeps no log entries in memory (for measurements such as memory per circuit).</param>
    public static PortalTestApp StartDevelopment(IReadOnlyDictionary<string, string?>? settings = null, bool captureLogs = true)
    {
        var app = new PortalTestApp("Development", folder: null, settings, captureLogs, services: null);
        app.StartKestrel();
        return app;
    }

    private void StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUrl = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)
            .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
            .Replace("localhost", "127.0.0.1", StringComparison.Ordinal)
            .TrimEnd('/');
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        // Outside Development the framework only serves published assets; the browser tests need blazor.web.js and MudBlazor's.
        builder.UseStaticWebAssets();
        // UseSetting (not ConfigureAppConfiguration) so Program.cs sees these while it registers the Core.
        builder.UseSetting($"ConnectionStrings:{DatabaseOptions.ConnectionStringName}", ConnectionString);
        builder.UseSetting("DataProtection:KeysPath", Path.Combine(Folder, "keys"));
        // Tests reach no internet: settings detection answers from the presets only, unless a test points it at AutodetectWorld.
        builder.UseSetting("Autodetect:Enabled", "false");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        if (captureLogs)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        }
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client that behaves like a browser tab: keeps cookies, shows redirects instead of following them.</summary>
    /// <param name="https">Talk to https://localhost, so cookies marked Secure (OpenIddict's state cookie) come back as a browser sends them.</param>
    public HttpClient CreateBrowserClient(bool https = false) =>
        CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
        });

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
