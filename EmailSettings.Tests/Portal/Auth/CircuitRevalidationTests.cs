using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>An open page (a circuit) re-checks its user, so rights taken away in the database end there too.</summary>
public sealed class CircuitRevalidationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_open_page_of_an_admin_whose_role_is_removed_is_signed_out_and_the_Core_refuses_it()
    {
        await using var app = await StartAsync();
        await using var circuit = await OpenCircuitAsync(app, app.AdminA.Email);
        var tenant = circuit.Scope.ServiceProvider.GetRequiredService<ITenantContext>();
        tenant.IsTenantAdmin.Should().BeTrue();

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = (await users.FindByEmailAsync(app.AdminA.Email))!;
            // Identity leaves the security stamp alone here: the role itself must be compared.
            (await users.RemoveFromRoleAsync(user, Roles.TenantAdmin)).Succeeded.Should().BeTrue();
        }

        var state = await circuit.SignedOut.Task.WaitAsync(Wait);
        state.User.Identity?.IsAuthenticated.Should().NotBe(true);
        tenant.IsTenantAdmin.Should().BeFalse();
        var servers = circuit.Scope.ServiceProvider.GetRequiredService<MailServerService>();
        await FluentActions.Awaiting(() => servers.ListAsync()).Should().ThrowAsync<TenantAccessDeniedException>();
    }

    [Fact]
    public async Task A_password_change_signs_the_open_page_out()
    {
        await using var app = await StartAsync();
        await using var circuit = await OpenCircuitAsync(app, app.AdminA.Email);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = (await users.FindByEmailAsync(app.AdminA.Email))!;
            (await users.ChangePasswordAsync(user, app.AdminA.Password, "A-new-password-2026!")).Succeeded.Should().BeTrue();
        }

        (await circuit.SignedOut.Task.WaitAsync(Wait)).User.Identity?.IsAuthenticated.Should().NotBe(true);
    }

    [Fact]
    public async Task An_unchanged_user_stays_signed_in_while_another_user_is_changed()
    {
        await using var app = await StartAsync();
        await using var unchanged = await OpenCircuitAsync(app, app.AdminB.Email);
        await using var changed = await OpenCircuitAsync(app, app.AdminA.Email);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            (await users.RemoveFromRoleAsync((await users.FindByEmailAsync(app.AdminA.Email))!, Roles.TenantAdmin)).Succeeded.Should().BeTrue();
        }

        // The changed user's page is signed out; the other page was re-checked in the same intervals and kept.
        await changed.SignedOut.Task.WaitAsync(Wait);
        unchanged.SignedOut.Task.IsCompleted.Should().BeFalse();
        unchanged.Scope.ServiceProvider.GetRequiredService<ITenantContext>().IsTenantAdmin.Should().BeTrue();
    }

    private static Task<PortalTestApp> StartAsync() =>
        PortalTestApp.StartAsync(settings: new Dictionary<string, string?> { ["Auth:RevalidationInterval"] = "00:00:00.100" });

    /// <summary>A DI scope set up as a circuit's: the user's principal from the sign-in machinery, in the circuit's provider.</summary>
    private static async Task<OpenCircuit> OpenCircuitAsync(PortalTestApp app, string email)
    {
        var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>()
            .CreateAsync((await users.FindByEmailAsync(email))!);
        var provider = scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        var circuit = new OpenCircuit(scope);
        ((IHostEnvironmentAuthenticationStateProvider)provider).SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        // After the sign-in above, which raises the event itself: the next change is the revalidation's verdict.
        provider.AuthenticationStateChanged += async task => circuit.SignedOut.TrySetResult(await task);
        return circuit;
    }

    private sealed class OpenCircuit(AsyncServiceScope scope) : IAsyncDisposable
    {
        public AsyncServiceScope Scope { get; } = scope;

        public TaskCompletionSource<AuthenticationState> SignedOut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask DisposeAsync() => Scope.DisposeAsync();
    }
}
