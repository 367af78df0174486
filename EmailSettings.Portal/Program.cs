using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Identity;
using EmailSettings.Portal.Auth;
using EmailSettings.Portal.Hosting;
using EmailSettings.Portal.Components;
using EmailSettings.Portal.OAuth;
using MudBlazor.Services;

// "create-admin ..." runs the command instead of the web server; its options are not configuration.
var isCommand = CreateAdminCommand.IsCommand(args);
var builder = WebApplication.CreateBuilder(isCommand ? [] : args);

try
{
    builder.AddEmailSettingsCore();
}
catch (StartupConfigurationException ex)
{
    // A wrong setting (Database:Provider, the connection string, Cluster:*, the key ring certificate): say which
    // setting to fix, without a stack trace.
    StartupError(ex);
    return;
}
builder.AddPortalAuthentication();
builder.AddPortalOAuth();

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices(options =>
{
    // Top centre covers no control: the app bar keeps user, tenant and Sign out, the sections their buttons, the cards their actions.
    options.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.TopCenter;
    options.SnackbarConfiguration.PreventDuplicates = false;
    // Newest three at most: on a phone five stacked snackbars hide the page they talk about.
    options.SnackbarConfiguration.MaxDisplayedSnackbars = 3;
});

var app = builder.Build();

try
{
    await app.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: false);
}
catch (DatabaseConfigurationException ex)
{
    // The database cannot be reached or opened.
    StartupError(ex);
    return;
}

if (isCommand)
{
    Environment.ExitCode = await CreateAdminCommand.RunAsync(app.Services, args, Console.In, Console.Out, Console.Error);
    return;
}

if (app.Environment.IsDevelopment())
{
    // Demo tenants and users for local development only (listed in the README); never outside Development.
    await app.Services.SeedDemoUsersAsync();
}

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapPortalAccountEndpoints();
app.MapPortalHealthEndpoints();
app.MapOAuthEndpoints(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EmailSettings.Core.OAuth.OAuthOptions>>().Value.RedirectPath);

await app.RunAsync();

static void StartupError(StartupConfigurationException ex)
{
    Console.Error.WriteLine($"EmailSettings cannot start: {ex.Message}");
    Environment.ExitCode = 1;
}

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
