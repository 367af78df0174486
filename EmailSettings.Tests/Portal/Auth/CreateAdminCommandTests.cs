using System.Net;
using System.Text.RegularExpressions;
using EmailSettings.Core.Identity;
using EmailSettings.Portal.Auth;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>The documented way into a production install: create-admin makes a tenant and its first administrator.</summary>
public sealed partial class CreateAdminCommandTests
{
    private const string SettingsPath = "/communications/settings/email";

    [Fact]
    public async Task The_command_run_as_a_process_creates_a_tenant_and_admin_who_can_then_sign_in()
    {
        var folder = TempFolder.Create("emailsettings-cli");
        var (exitCode, output, errors) = await RunPortalAsync(folder, "Correct-Horse-Battery\n",
            "create-admin", "--tenant", "Contoso", "--email", "boss@contoso.example", "--password-stdin");

        exitCode.Should().Be(0, errors);
        output.Should().Contain("Created tenant \"Contoso\"").And.Contain("Created tenant administrator boss@contoso.example.");
        output.Should().NotContain("Now listening on", "the command runs instead of the web server");
        output.Should().NotContain("Correct-Horse-Battery");

        await using var app = await PortalTestApp.StartAsync(folder: folder);
        var client = app.CreateBrowserClient();
        var signedIn = await client.SignInAsync("boss@contoso.example", "Correct-Horse-Battery", SettingsPath);
        signedIn.RedirectTarget().Should().Be(SettingsPath);
        var page = await client.GetAsync(SettingsPath);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain("Email Settings").And.Contain("Contoso");
    }

    [Fact]
    public async Task Without_a_password_option_the_command_prints_a_generated_password_that_signs_in()
    {
        await using var app = await PortalTestApp.StartAsync();
        var output = new StringWriter();
        var errors = new StringWriter();

        var exitCode = await CreateAdminCommand.RunAsync(app.Services,
            ["create-admin", "--tenant", "Fabrikam", "--email", "owner@fabrikam.example"], TextReader.Null, output, errors);

        exitCode.Should().Be(0, errors.ToString());
        var password = GeneratedPassword().Match(output.ToString()).Groups[1].Value;
        password.Should().HaveLength(TenantAdministration.GeneratedPasswordLength);
        var client = app.CreateBrowserClient();
        (await client.SignInAsync("owner@fabrikam.example", password)).RedirectTarget().Should().Be(SettingsPath);
        (await client.GetStringAsync(SettingsPath)).Should().Contain("Fabrikam");
        app.Logs.AllText.Should().NotContain(password, "the generated password is printed once, never logged");
    }

    [Fact]
    public async Task The_command_adds_an_admin_to_an_existing_tenant_by_name()
    {
        await using var app = await PortalTestApp.StartAsync();

        var exitCode = await CreateAdminCommand.RunAsync(app.Services,
            ["create-admin", "--tenant", "Tenant A", "--email", "second@a.test", "--password", "Correct-Horse-Battery"],
            TextReader.Null, TextWriter.Null, TextWriter.Null);

        exitCode.Should().Be(0);
        using var scope = app.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync("second@a.test");
        user!.TenantId.Should().Be(app.TenantA);
        await using var db = await app.CreateDbContextAsync();
        (await db.Tenants.CountAsync()).Should().Be(2);
    }

    [Theory]
    [InlineData(new[] { "create-admin", "--email", "x@example.com" }, "--tenant is required.")]
    [InlineData(new[] { "create-admin", "--tenant", "T" }, "--email is required.")]
    [InlineData(new[] { "create-admin", "--tenant", "T", "--email", "x@example.com", "--password", "p", "--password-stdin" }, "Use either --password or --password-stdin")]
    [InlineData(new[] { "create-admin", "--tenant", "T", "--email", "x@example.com", "--admin" }, "Unknown or incomplete option \"--admin\".")]
    public void Incomplete_options_are_explained_with_the_usage(string[] args, string message)
    {
        CreateAdminCommand.Parse(args, out var error).Should().BeNull();

        error.Should().StartWith(message);
    }

    [Fact]
    public async Task A_weak_password_is_refused_with_the_policy_and_exit_code_1()
    {
        await using var app = await PortalTestApp.StartAsync();
        var errors = new StringWriter();

        var exitCode = await CreateAdminCommand.RunAsync(app.Services,
            ["create-admin", "--tenant", "Weak", "--email", "weak@example.com", "--password-stdin"], new StringReader("short\n"), TextWriter.Null, errors);

        exitCode.Should().Be(1);
        errors.ToString().Should().Contain("Passwords must be at least 12 characters.");
        await using var db = await app.CreateDbContextAsync();
        (await db.Tenants.AnyAsync(t => t.Name == "Weak")).Should().BeFalse();
    }

    [GeneratedRegex("Generated password \\(shown only now, store it safely\\): (\\S+)")]
    private static partial Regex GeneratedPassword();

    /// <summary>Runs the Portal's real entry point in Production with the database in <paramref name="folder"/>.</summary>
    private static Task<(int ExitCode, string Output, string Errors)> RunPortalAsync(string folder, string stdin, params string[] args) =>
        PortalProcess.RunAsync(folder,
            new Dictionary<string, string> { ["ConnectionStrings__EmailSettings"] = $"Data Source={Path.Combine(folder, "portal.db")}" },
            stdin, args);
}
