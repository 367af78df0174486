using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using EmailSettings.Portal.Components;
using EmailSettings.Portal.Tenancy;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

builder.AddEmailSettingsCore();
builder.Services.AddScoped<ITenantContext, DemoTenantContext>();

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

var app = builder.Build();

await app.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: true);

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();

app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
