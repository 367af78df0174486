using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>One running portal (Testing environment) shared by a test class; tests that change users make their own.</summary>
public sealed class PortalAppFixture : IAsyncLifetime
{
    public PortalTestApp App { get; private set; } = default!;

    public async Task InitializeAsync() => App = await PortalTestApp.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}
