using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Support;

/// <summary>The test users of <see cref="PortalTestApp"/> and clients signed in as them (test project only).</summary>
public sealed partial class PortalTestApp
{
    public TestUser AdminA { get; private set; } = default!;
    public TestUser UserA { get; private set; } = default!;
    public TestUser AdminB { get; private set; } = default!;
    public TestUser UserB { get; private set; } = default!;

    /// <summary>
    /// Starts the app and creates "Tenant A" and "Tenant B" with admin@a.test/user@a.test and admin@b.test/user@b.test.
    /// With <paramref name="kestrel"/> the app listens on a free local port (<see cref="BaseUrl"/>) for Playwright.
    /// </summary>
    /// <param name="settings">Extra configuration seen by Program.cs, for example <c>["Auth:RevalidationInterval"] = "00:00:00.2"</c>.</param>
    public static async Task<PortalTestApp> StartAsync(string environment = "Testing", string? folder = null, bool kestrel = false,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = new PortalTestApp(environment, folder, settings, services);
        if (kestrel)
        {
            app.StartKestrel();
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

    /// <summary>A browser client signed in as <paramref name="user"/> through the sign-in form.</summary>
    /// <param name="https">See <see cref="CreateBrowserClient"/>.</param>
    public async Task<HttpClient> SignedInClientAsync(TestUser user, bool https = false)
    {
        var client = CreateBrowserClient(https);
        var response = await client.SignInAsync(user.Email, user.Password);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, $"{user.Email} should be able to sign in");
        return client;
    }
}
