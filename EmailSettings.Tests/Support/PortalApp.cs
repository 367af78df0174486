using EmailSettings.Core.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Support;

/// <summary>
/// The real Portal (its Program.cs: migrations, demo tenant, MudBlazor, interactive server) on Kestrel at a free port,
/// over a fresh SQLite database and key ring in its own temp folder. For Playwright tests: browse to <see cref="BaseUrl"/>.
/// </summary>
public sealed class PortalApp : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> settings;
    private Uri? baseUrl;

    /// <param name="settings">Extra configuration (for example <c>["Sync:Interval"] = "01:00:00"</c>), seen by Program.cs.</param>
    public PortalApp(IReadOnlyDictionary<string, string?>? settings = null)
    {
        this.settings = settings ?? new Dictionary<string, string?>();
        Folder = TempFolder.Create("emailsettings-portal");
        UseKestrel(0);
    }

    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "portal.db");

    /// <summary>The root URL of the running app, e.g. http://127.0.0.1:41234/. Starts the server on first use.</summary>
    public Uri BaseUrl
    {
        get
        {
            if (baseUrl is null)
            {
                StartServer();
                var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
                var address = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal)
                    .Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
                    .Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
                baseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
            }
            return baseUrl;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development serves MudBlazor's static assets from the build output, as `dotnet run` does.
        builder.UseEnvironment("Development");
        // UseSetting (not ConfigureAppConfiguration) so Program.cs sees these while it registers the Core.
        builder.UseSetting($"ConnectionStrings:{DatabaseOptions.ConnectionStringName}", $"Data Source={DatabasePath}");
        builder.UseSetting("DataProtection:KeysPath", Path.Combine(Folder, "keys"));
        // Tests reach no internet: settings detection answers from the presets only, unless a test points it at AutodetectWorld.
        builder.UseSetting("Autodetect:Enabled", "false");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempFolder.Delete(Folder);
    }
}
