using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.Data;
using EmailSettings.Core.Secrets;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.JSInterop;
using MudBlazor.Services;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>
/// Issue 9.3: the server-side (static, prerender) render of the Email Settings page with the Core services over
/// SQLite and a fixed tenant admin, counting the SQL commands it issues. A small tenant (2 servers, 20 accounts)
/// is the baseline, rendered alternately with a large one (200 servers, 2,000 accounts).
/// Targets: the same number of SQL commands for both, and the large render under 300 ms.
/// </summary>
public static class PageRenderScenario
{
    private static readonly Guid SmallTenant = Guid.Parse("bbbbbbbb-0000-0000-0000-0000000000a1");
    private static readonly Guid LargeTenant = Guid.Parse("bbbbbbbb-0000-0000-0000-0000000000a2");

    public static async Task RunAsync(Report report)
    {
        var sqlCommands = new SqlCommandCounter();
        await using var host = await CoreTestHost.CreateAsync(b =>
        {
            b.Services.ConfigureDbContext<EmailSettingsDbContext>(o => o.AddInterceptors(sqlCommands));
            b.Services.AddMudServices();
            b.Services.AddScoped<NavigationManager, StaticNavigationManager>();
            b.Services.AddScoped<IJSRuntime, NoJavaScript>();
        }, captureLogs: false);
        var secrets = host.Services.GetRequiredService<SecretProtector>();
        await using (var db = await host.CreateDbContextAsync())
        {
            await SettingsSeeder.SeedAsync(db, secrets, SmallTenant, servers: 2, accounts: 20, addTenant: true);
            await SettingsSeeder.SeedAsync(db, secrets, LargeTenant, servers: 200, accounts: 2_000, addTenant: true);
        }

        var small = await RenderAsync(host, sqlCommands, SmallTenant);
        var large = await RenderAsync(host, sqlCommands, LargeTenant);
        Console.WriteLine($"page-render: small page {small.Html.Length:N0} chars, {small.SqlCommands} SQL; large page {large.Html.Length:N0} chars, {large.SqlCommands} SQL");
        // The page renders the first cards of each section and offers a filter and "Show more" for the rest.
        if (!large.Html.Contains($"Showing {EmailSettingsPage.FirstAccountCards} of 2000 email accounts", StringComparison.Ordinal)
            || !large.Html.Contains($"Showing {EmailSettingsPage.FirstServerCards} of 200 mail servers", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The large page did not render its first cards with the count of all.");
        }

        var results = await SideBySide.RunAsync(warmup: 2, repetitions: 10,
            new Contender("2 servers, 20 accounts", () => RenderAsync(host, sqlCommands, SmallTenant)),
            new Contender("200 servers, 2,000 accounts", () => RenderAsync(host, sqlCommands, LargeTenant)));
        var (baseline, subject) = (results[0], results[1]);
        report.Add(new ResultRow(
            "3. Settings page render", "200 servers, 2,000 accounts",
            $"{Report.Ms(subject.Median)} (min {Report.Ms(subject.Min)}), {large.SqlCommands} SQL commands",
            $"{Report.Ms(baseline.Median)}, {small.SqlCommands} SQL commands (2 servers, 20 accounts)",
            Report.X(subject.Median / baseline.Median),
            "< 300 ms; SQL count equal", subject.Median < 300 && large.SqlCommands == small.SqlCommands,
            $"n={subject.Count}, {large.Html.Length / 1024:N0} KB of HTML"));
    }

    private static async Task<(string Html, int SqlCommands)> RenderAsync(CoreTestHost host, SqlCommandCounter sqlCommands, Guid tenantId)
    {
        await using var scope = host.CreateScope(tenantId);
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<ILoggerFactory>());
        sqlCommands.Reset();
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<EmailSettingsPage>(ParameterView.Empty);
            return output.ToHtmlString();
        });
        return (html, sqlCommands.Count);
    }

    /// <summary>What a prerender has: an absolute URL, no navigation.</summary>
    private sealed class StaticNavigationManager : NavigationManager
    {
        public StaticNavigationManager() => Initialize("http://localhost/", "http://localhost/communications/settings/email");
    }

    /// <summary>A static render never calls JavaScript; any attempt would be a bug in the measurement.</summary>
    private sealed class NoJavaScript : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during a static render.");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during a static render.");
    }
}
