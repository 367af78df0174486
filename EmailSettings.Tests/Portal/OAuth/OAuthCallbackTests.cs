using System.Net;
using EmailSettings.Core.OAuth;
using EmailSettings.Tests.Support;
using EmailSettings.Tests.Support.OAuth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailSettings.Tests.Portal.OAuth;

/// <summary>
/// The portal's start and callback endpoints against the real test authorization server, driven as a browser would
/// (cookies, redirects, the consent form): a completed sign-in reaches the waiting dialog, and a forged, replayed or
/// expired callback is refused with a clear message and stores nothing. The client talks https, as a browser on the
/// deployed portal does: OpenIddict's state cookie is marked Secure.
/// </summary>
public sealed class OAuthCallbackTests : IAsyncLifetime
{
    private const string Provider = "TestIdP";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private TestAuthorizationServer authority = null!;
    private PortalTestApp app = null!;

    public async Task InitializeAsync()
    {
        authority = await TestAuthorizationServer.StartAsync();
        app = await PortalTestApp.StartAsync(settings: authority.PortalSettings(Provider), services: s => s.AddSingleton<TimeProvider>(clock));
        await authority.AllowRedirectUriAsync(new Uri("https://localhost/oauth/callback"));
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await authority.DisposeAsync();
    }

    [Fact]
    public async Task A_completed_sign_in_reaches_the_waiting_dialog_with_the_address_and_no_token_reaches_the_page()
    {
        var portal = await app.SignedInClientAsync(app.AdminA, https: true);
        var handle = OAuthSignInService.NewHandle();

        var callback = await ConsentAsync(portal, handle, "mailbox1");
        var page = await portal.GetAsync(callback);
        var html = await page.Content.ReadAsStringAsync();

        page.StatusCode.Should().Be(HttpStatusCode.OK, html);
        html.Should().Contain("Signed in as mailbox1 with Test IdP.");
        var result = await (await SignInsOfAsync(app.AdminA)).WaitAsync(handle, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        result!.Succeeded.Should().BeTrue(result.Error);
        result.Grant!.Address.Should().Be("mailbox1");
        result.Grant.AccessTokenExpiresAt.Should().BeAfter(clock.GetUtcNow().UtcDateTime.AddMinutes(30));
        await using var db = await app.CreateDbContextAsync();
        var grant = db.OAuthGrants.Single(g => g.Id == result.Grant.Id);
        grant.PendingUntil.Should().NotBeNull("it is attached when the dialog saves");
        grant.RefreshTokenProtected.Should().NotBeNull();
        html.Should().NotContain(grant.AccessTokenProtected[..20]);
    }

    [Fact]
    public async Task A_replayed_callback_is_refused_and_changes_nothing()
    {
        var portal = await app.SignedInClientAsync(app.AdminA, https: true);
        var callback = await ConsentAsync(portal, OAuthSignInService.NewHandle(), "mailbox2");
        (await portal.GetAsync(callback)).StatusCode.Should().Be(HttpStatusCode.OK);

        var replay = await portal.GetAsync(callback);

        replay.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await replay.Content.ReadAsStringAsync()).Should().Contain(WebUtility.HtmlEncode(OAuthSignInService.ReplayedMessage));
        await using var db = await app.CreateDbContextAsync();
        db.OAuthGrants.Count().Should().Be(1);
    }

    [Fact]
    public async Task A_forged_state_is_refused()
    {
        var portal = await app.SignedInClientAsync(app.AdminA, https: true);

        var forged = await portal.GetAsync("/oauth/callback?code=stolen-code&state=made-up-state");

        forged.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await forged.Content.ReadAsStringAsync()).Should().Contain(WebUtility.HtmlEncode(OAuthSignInService.ForgedMessage));
        await using var db = await app.CreateDbContextAsync();
        db.OAuthGrants.Should().BeEmpty();
    }

    [Fact]
    public async Task An_expired_sign_in_is_refused_and_the_dialog_hears_why()
    {
        var portal = await app.SignedInClientAsync(app.AdminA, https: true);
        var handle = OAuthSignInService.NewHandle();
        var callback = await ConsentAsync(portal, handle, "mailbox3");
        clock.Advance(TimeSpan.FromMinutes(11));

        var late = await portal.GetAsync(callback);

        late.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await late.Content.ReadAsStringAsync()).Should().Contain(WebUtility.HtmlEncode(OAuthSignInService.ExpiredMessage));
        var result = await (await SignInsOfAsync(app.AdminA)).WaitAsync(handle, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        result!.Succeeded.Should().BeFalse();
        result.Error.Should().Be(OAuthSignInService.ExpiredMessage);
        await using var db = await app.CreateDbContextAsync();
        db.OAuthGrants.Should().BeEmpty();
    }

    [Fact]
    public async Task Another_admins_callback_is_refused()
    {
        var starter = await app.SignedInClientAsync(app.AdminA, https: true);
        var callback = await ConsentAsync(starter, OAuthSignInService.NewHandle(), "mailbox4");
        var other = await app.SignedInClientAsync(app.AdminB, https: true);

        var response = await other.GetAsync(callback);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        await using var db = await app.CreateDbContextAsync();
        db.OAuthGrants.Should().BeEmpty();
    }

    /// <summary>Start link, then the authorization server's consent as <paramref name="mailbox"/>; returns the callback to open.</summary>
    private async Task<string> ConsentAsync(HttpClient portal, string handle, string mailbox)
    {
        var start = await portal.GetAsync($"/oauth/start?provider={Provider}&target=EmailAccount&record=&handle={Uri.EscapeDataString(handle)}");
        start.StatusCode.Should().Be(HttpStatusCode.Redirect, await start.Content.ReadAsStringAsync());
        var authorize = start.Headers.Location!;
        authorize.Query.Should().Contain("code_challenge_method=S256").And.Contain("state=");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var consentPage = await browser.GetStringAsync(authorize);
        var form = HtmlForm.Parse(consentPage, "form");
        var answer = await browser.PostAsync(new Uri(authority.Issuer, "connect/authorize"),
            form.Content(new Dictionary<string, string> { ["login"] = mailbox, ["consent"] = "allow" }));
        answer.StatusCode.Should().Be(HttpStatusCode.Redirect, await answer.Content.ReadAsStringAsync());
        var callback = answer.Headers.Location!;
        callback.AbsolutePath.Should().Be("/oauth/callback");
        return callback.PathAndQuery;
    }

    private async Task<OAuthSignInService> SignInsOfAsync(TestUser user)
    {
        var services = app.ServicesFor(user.TenantId);
        var id = (await services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<global::EmailSettings.Core.Identity.PortalUser>>()
            .FindByEmailAsync(user.Email))!.Id;
        return new OAuthSignInService(
            services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<global::EmailSettings.Core.Data.EmailSettingsDbContext>>(),
            new SignedInAs(user.TenantId, id), services.GetRequiredService<OAuthProviderCatalog>(),
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OAuthOptions>>(),
            services.GetRequiredService<global::EmailSettings.Core.Secrets.SecretProtector>(), services.GetRequiredService<OAuthSignInNotifier>(),
            services.GetRequiredService<OAuthTokenService>(), clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<OAuthSignInService>.Instance);
    }

    /// <summary>The dialog's circuit: the same admin who started the sign-in.</summary>
    private sealed class SignedInAs(Guid tenantId, string userId) : global::EmailSettings.Core.Tenancy.ITenantContext
    {
        public Guid? TenantId => tenantId;
        public bool IsTenantAdmin => true;
        public string? UserId => userId;
    }
}
