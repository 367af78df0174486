using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EmailSettings.Tests.Support.OAuth;

/// <summary>
/// A real OAuth2 / OpenID Connect authorization server for the tests: OpenIddict.Server with its EF Core stores (an
/// in-memory SQLite database) in a Kestrel host on 127.0.0.1. Issues authorization codes (PKCE required), access tokens,
/// id tokens and rotating refresh tokens (an old one is refused at once), answers discovery, client credentials,
/// revocation and introspection (for Dovecot's oauth2 passdb), and can revoke everything of a user.
/// The consent page asks for the mailbox name: the user signs in as that mailbox (its "sub" and "email").
/// </summary>
public sealed class TestAuthorizationServer : IAsyncDisposable
{
    public const string PortalClientId = "emailsettings-portal";
    public const string PortalClientSecret = "Portal-Client-Secret-2026";
    public const string DovecotClientId = "dovecot";
    public const string DovecotClientSecret = "Dovecot-Client-Secret-2026";
    public const string MailScope = "mail";

    private readonly WebApplication app;
    private readonly SqliteConnection database;
    private int tokenRequests;

    private TestAuthorizationServer(WebApplication app, SqliteConnection database, Uri issuer)
    {
        this.app = app;
        this.database = database;
        Issuer = issuer;
    }

    /// <summary>http://127.0.0.1:port/ — the issuer, whose discovery document lists every endpoint.</summary>
    public Uri Issuer { get; }

    public Uri TokenEndpoint => new(Issuer, "connect/token");
    public Uri IntrospectionEndpoint => new(Issuer, "connect/introspect");

    /// <summary>Requests that reached the token endpoint (code exchanges, refreshes, client credentials).</summary>
    public int TokenRequests => Volatile.Read(ref tokenRequests);

    /// <summary>Dovecot's oauth2 passdb settings for this server.</summary>
    public DovecotOAuth2 ForDovecot(int? submissionRelayPort = null) => new(IntrospectionEndpoint, DovecotClientId, DovecotClientSecret, submissionRelayPort);

    /// <summary>The configuration of a generic provider named <paramref name="name"/> pointing here (discovery from the issuer).</summary>
    public Dictionary<string, string?> PortalSettings(string name = "TestIdP", string displayName = "Test IdP") => new()
    {
        [$"OAuth:Providers:{name}:DisplayName"] = displayName,
        [$"OAuth:Providers:{name}:ClientId"] = PortalClientId,
        [$"OAuth:Providers:{name}:ClientSecret"] = PortalClientSecret,
        [$"OAuth:Providers:{name}:Issuer"] = Issuer.ToString(),
        [$"OAuth:Providers:{name}:Scopes:0"] = MailScope,
        [$"OAuth:Providers:{name}:Scopes:1"] = Scopes.OfflineAccess,
        [$"OAuth:Providers:{name}:AppOnly"] = "true",
        [$"OAuth:Providers:{name}:AppOnlyScopes:0"] = MailScope,
        ["OAuth:AllowHttp"] = "true",
    };

    public static async Task<TestAuthorizationServer> StartAsync(TimeSpan? accessTokenLifetime = null)
    {
        var database = new SqliteConnection("Data Source=:memory:");
        await database.OpenAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<AuthServerDbContext>(o => o.UseSqlite(database).UseOpenIddict());
        builder.Services.AddAuthentication();
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<AuthServerDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke");
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
                o.RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.OfflineAccess, MailScope);
                o.SetAccessTokenLifetime(accessTokenLifetime ?? TimeSpan.FromHours(1));
                // Rotating refresh tokens, and the previous one is refused from the first reuse on.
                o.SetRefreshTokenReuseLeeway(TimeSpan.Zero);
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                // Opaque reference tokens, as Google issues: Dovecot's submission service refuses an AUTH line longer
                // than its command limit, and a signed JWT with SASL-IR exceeds it.
                o.UseReferenceAccessTokens().UseReferenceRefreshTokens();
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    // Tests only: the server listens on plain HTTP on loopback.
                    .DisableTransportSecurityRequirement();
            });
        var app = builder.Build();
        TestAuthorizationServer? self = null;
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/connect/token" && self is not null)
            {
                Interlocked.Increment(ref self.tokenRequests);
            }
            await next();
        });
        app.UseAuthentication();
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
        app.MapPost("/connect/token", (Delegate)TokenAsync);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AuthServerDbContext>().Database.MigrateAsync();
        }
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        self = new TestAuthorizationServer(app, database, new Uri(address.TrimEnd('/') + "/"));
        await self.AddApplicationsAsync();
        return self;
    }

    /// <summary>Lets the portal at <paramref name="redirectUri"/> receive codes (registered redirect URIs are checked exactly).</summary>
    public async Task AllowRedirectUriAsync(Uri redirectUri)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var portal = await manager.FindByClientIdAsync(PortalClientId) ?? throw new InvalidOperationException("The portal client is missing.");
        var descriptor = new OpenIddictApplicationDescriptor();
        await manager.PopulateAsync(descriptor, portal);
        descriptor.RedirectUris.Add(redirectUri);
        descriptor.ClientSecret = PortalClientSecret;
        await manager.UpdateAsync(portal, descriptor);
    }

    /// <summary>The redirect URI of <see cref="SignInDirectlyAsync"/>: nothing listens there, the code is read from the redirect.</summary>
    public static readonly Uri DirectRedirectUri = new("http://127.0.0.1:9/direct-callback");

    /// <summary>
    /// The authorization code flow with PKCE done by a plain HTTP client, as a browser and the portal would: consent as
    /// <paramref name="user"/>, exchange the code. Returns the tokens the portal would store.
    /// </summary>
    public async Task<(string AccessToken, string RefreshToken, DateTime ExpiresAt)> SignInDirectlyAsync(string user)
    {
        var verifier = Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var query = $"response_type=code&client_id={PortalClientId}&redirect_uri={Uri.EscapeDataString(DirectRedirectUri.ToString())}" +
            $"&scope={Uri.EscapeDataString($"openid email offline_access {MailScope}")}&state=direct&code_challenge={challenge}&code_challenge_method=S256";
        using var consent = await client.PostAsync(new Uri(Issuer, "connect/authorize"), new FormUrlEncodedContent(
            System.Web.HttpUtility.ParseQueryString(query).AllKeys.ToDictionary(k => k!, k => System.Web.HttpUtility.ParseQueryString(query)[k]!)
                .Append(new KeyValuePair<string, string>("login", user)).Append(new KeyValuePair<string, string>("consent", "allow"))));
        var location = consent.Headers.Location ?? throw new InvalidOperationException($"No redirect from the consent: {(int)consent.StatusCode} {await consent.Content.ReadAsStringAsync()}");
        var code = System.Web.HttpUtility.ParseQueryString(location.Query)["code"] ?? throw new InvalidOperationException($"No code in {location}");
        using var token = await client.PostAsync(TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.AuthorizationCode,
            ["code"] = code,
            ["redirect_uri"] = DirectRedirectUri.ToString(),
            ["code_verifier"] = verifier,
            ["client_id"] = PortalClientId,
            ["client_secret"] = PortalClientSecret,
        }));
        var json = System.Text.Json.JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement;
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!,
            DateTime.UtcNow.AddSeconds(json.GetProperty("expires_in").GetInt32()));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Revokes every token and authorization of <paramref name="user"/>: the grant is dead, the access token inactive.</summary>
    public async Task RevokeUserAsync(string user)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        await foreach (var token in tokens.FindBySubjectAsync(user))
        {
            await tokens.TryRevokeAsync(token);
        }
        await foreach (var authorization in authorizations.FindBySubjectAsync(user))
        {
            await authorizations.TryRevokeAsync(authorization);
        }
    }

    /// <summary>Revokes only this access token (as if it expired early at the server); the refresh token stays good.</summary>
    public async Task RevokeAccessTokenAsync(string accessToken)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(new Uri(Issuer, "connect/revoke"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = accessToken,
            ["token_type_hint"] = TokenTypeHints.AccessToken,
            ["client_id"] = PortalClientId,
            ["client_secret"] = PortalClientSecret,
        }));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What the server says of a token, as Dovecot would ask.</summary>
    public async Task<bool> IsActiveAsync(string token)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(IntrospectionEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["client_id"] = DovecotClientId,
            ["client_secret"] = DovecotClientSecret,
        }));
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("active", out var active) && active.GetBoolean();
    }

    /// <summary>A token request with a refresh token, as the portal's client makes it: the raw answer.</summary>
    public async Task<(HttpStatusCode Status, string Body)> RefreshAsync(string refreshToken)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.RefreshToken,
            ["refresh_token"] = refreshToken,
            ["client_id"] = PortalClientId,
            ["client_secret"] = PortalClientSecret,
        }));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task AddApplicationsAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await manager.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = PortalClientId,
            ClientSecret = PortalClientSecret,
            ClientType = ClientTypes.Confidential,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.GrantTypes.ClientCredentials,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email, Permissions.Prefixes.Scope + Scopes.OfflineAccess, Permissions.Prefixes.Scope + MailScope,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            RedirectUris = { DirectRedirectUri },
        });
        await manager.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = DovecotClientId,
            ClientSecret = DovecotClientSecret,
            ClientType = ClientTypes.Confidential,
            Permissions = { Permissions.Endpoints.Introspection },
        });
    }

    /// <summary>The consent page (GET) and its answer (POST): Allow signs the typed mailbox in, Deny refuses.</summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an authorization request.");
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            var hidden = string.Concat(request.GetParameters().Select(p =>
                $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(p.Key)}\" value=\"{WebUtility.HtmlEncode((string?)p.Value)}\">"));
            return Results.Content($$"""
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test IdP: consent</title></head><body>
                <h1>Test IdP</h1><p>{{WebUtility.HtmlEncode(request.ClientId)}} asks for: {{WebUtility.HtmlEncode(request.Scope)}}</p>
                <form method="post" action="/connect/authorize">{{hidden}}
                <label>Mailbox <input name="login" autocomplete="off"></label>
                <button type="submit" name="consent" value="allow">Allow</button>
                <button type="submit" name="consent" value="deny">Deny</button></form></body></html>
                """, "text/html");
        }
        var form = await context.Request.ReadFormAsync();
        if (form["consent"] != "allow" || string.IsNullOrWhiteSpace(form["login"]))
        {
            return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.AccessDenied,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The user declined.",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        var login = form["login"].ToString().Trim();
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, login).SetClaim(Claims.Email, login).SetClaim(Claims.Name, login);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(request.GetScopes());
        principal.SetAudiences(DovecotClientId);
        principal.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return Results.SignIn(principal, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>Codes and refresh tokens keep the principal they were issued for; client credentials act as the app.</summary>
    private static async Task<IResult> TokenAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not a token request.");
        ClaimsPrincipal principal;
        if (request.IsClientCredentialsGrantType())
        {
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId!);
            principal = new ClaimsPrincipal(identity);
            principal.SetScopes(request.GetScopes());
            principal.SetAudiences(DovecotClientId);
        }
        else
        {
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            principal = result.Principal ?? throw new InvalidOperationException("The code or refresh token was not validated.");
        }
        principal.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        return Results.SignIn(principal, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await database.DisposeAsync();
    }
}
