using EmailSettings.Core.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenIddict.Client;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EmailSettings.Core.OAuth;

public static class OAuthRegistration
{
    /// <summary>
    /// OAuth2 sign-in: the "OAuth" options, the OpenIddict client with one registration per configured provider
    /// (Microsoft and Google through OpenIddict's web providers, generic ones by issuer discovery or explicit endpoints),
    /// the token service and the sign-in service. The host adds the redirection endpoint (the Portal:
    /// <c>AddOpenIddict().AddClient().UseAspNetCore()</c>).
    /// </summary>
    public static IHostApplicationBuilder AddOAuthSignIn(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OAuthOptions>().BindConfiguration(OAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OAuthOptions>, OAuthOptionsValidation>();
        services.AddSingleton<OAuthProviderCatalog>();
        services.AddSingleton<OAuthTokenService>();
        services.AddSingleton<OAuthSignInNotifier>();
        services.AddSingleton<MailCredentials>();
        services.AddSingleton<OAuthGrantStore>();
        services.AddScoped<OAuthSignInService>();

        // The registrations are made from configuration at start-up: OpenIddict needs them when it builds its options.
        var settings = builder.Configuration.GetSection(OAuthOptions.SectionName).Get<OAuthOptions>() ?? new OAuthOptions();
        var redirect = settings.RedirectPath.TrimStart('/');
        services.AddOpenIddict().AddClient(client =>
        {
            client.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
            // Tokens live in EmailSettings' own grants table (encrypted, one grant per record), and the single use of a
            // state is enforced by the sign-in attempt row; OpenIddict needs no token store of its own.
            client.DisableTokenStorage();
            // State tokens are protected with the Data Protection key ring (shared by every node of the portal), so the
            // ephemeral keys below, which OpenIddict insists on having, never protect anything that outlives the process.
            client.UseDataProtection();
            client.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            client.SetStateTokenLifetime(settings.SignInTimeout);
            client.SetRedirectionEndpointUris(redirect);
            client.UseSystemNetHttp().SetProductInformation(typeof(OAuthRegistration).Assembly);
            // The id token says who signed in; userinfo is never needed, and Microsoft's refuses Outlook-scoped tokens.
            client.AddEventHandler<OpenIddictClientEvents.ProcessAuthenticationContext>(handler => handler
                .UseInlineHandler(context =>
                {
                    context.DisableUserInfoRetrieval = true;
                    return default;
                })
                .SetOrder(int.MinValue + 100_000)
                .SetType(OpenIddictClientHandlerType.Custom));

            var web = client.UseWebProviders();
            foreach (var (name, provider) in settings.Providers)
            {
                if (string.IsNullOrWhiteSpace(provider.ClientId))
                {
                    continue;
                }
                var canonical = OAuthProviderCatalog.CanonicalName(name);
                var display = string.IsNullOrWhiteSpace(provider.DisplayName) ? canonical : provider.DisplayName.Trim();
                if (canonical == OAuthOptions.Microsoft)
                {
                    web.AddMicrosoft(o =>
                    {
                        o.SetClientId(provider.ClientId).SetRedirectUri(redirect).SetProviderDisplayName(display)
                            .SetTenant(string.IsNullOrWhiteSpace(provider.Tenant) ? "common" : provider.Tenant.Trim())
                            .AddScopes([.. WithIdentity(provider.Scopes ?? OAuthProviderOptions.MicrosoftDefaultScopes)]);
                        if (!string.IsNullOrWhiteSpace(provider.ClientSecret))
                        {
                            o.SetClientSecret(provider.ClientSecret);
                        }
                    });
                }
                else if (canonical == OAuthOptions.Google)
                {
                    web.AddGoogle(o =>
                    {
                        // offline: a refresh token; consent: a new one on every sign-in (a Reconnect), not only the first.
                        o.SetClientId(provider.ClientId).SetRedirectUri(redirect).SetProviderDisplayName(display)
                            .SetAccessType("offline").SetPrompt("consent")
                            .AddScopes([.. WithIdentity(provider.Scopes ?? OAuthProviderOptions.GoogleDefaultScopes)]);
                        if (!string.IsNullOrWhiteSpace(provider.ClientSecret))
                        {
                            o.SetClientSecret(provider.ClientSecret);
                        }
                    });
                }
                else
                {
                    client.AddRegistration(Generic(canonical, display, provider, redirect));
                }
            }
        });
        services.AddOptions<OpenIddictClientOptions>().Configure<TimeProvider>((o, time) => o.TimeProvider = time);
        return builder;
    }

    /// <summary>A generic provider: by discovery from its issuer, or with the two endpoints configured (PKCE S256 assumed).</summary>
    private static OpenIddictClientRegistration Generic(string name, string display, OAuthProviderOptions provider, string redirect)
    {
        var explicitEndpoints = !string.IsNullOrWhiteSpace(provider.AuthorizationEndpoint);
        var authorization = explicitEndpoints ? new Uri(provider.AuthorizationEndpoint!, UriKind.Absolute) : null;
        var registration = new OpenIddictClientRegistration
        {
            ProviderName = name,
            ProviderDisplayName = display,
            Issuer = provider.Issuer is { } issuer ? new Uri(issuer, UriKind.Absolute) : new Uri(authorization!.GetLeftPart(UriPartial.Authority), UriKind.Absolute),
            ClientId = provider.ClientId,
            ClientSecret = string.IsNullOrWhiteSpace(provider.ClientSecret) ? null : provider.ClientSecret,
            RedirectUri = new Uri(redirect, UriKind.Relative),
        };
        // A discovered server is an OpenID Connect one: its id token names who signed in. Explicit endpoints may be
        // plain OAuth2, so only the configured scopes are asked for.
        foreach (var scope in explicitEndpoints ? provider.Scopes ?? [] : WithIdentity(provider.Scopes ?? []))
        {
            registration.Scopes.Add(scope);
        }
        registration.ResponseModes.Add(ResponseModes.Query);
        if (explicitEndpoints)
        {
            registration.Configuration = new OpenIddict.Abstractions.OpenIddictConfiguration
            {
                Issuer = registration.Issuer,
                AuthorizationEndpoint = authorization,
                TokenEndpoint = new Uri(provider.TokenEndpoint!, UriKind.Absolute),
                GrantTypesSupported = { GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.ClientCredentials },
                ResponseTypesSupported = { ResponseTypes.Code },
                ResponseModesSupported = { ResponseModes.Query },
                CodeChallengeMethodsSupported = { CodeChallengeMethods.Sha256 },
                TokenEndpointAuthMethodsSupported = { ClientAuthenticationMethods.ClientSecretBasic, ClientAuthenticationMethods.ClientSecretPost },
            };
        }
        return registration;
    }

    /// <summary>The configured scopes plus "openid email", so the id token says which address signed in.</summary>
    private static IEnumerable<string> WithIdentity(IEnumerable<string> scopes) =>
        scopes.Concat([Scopes.OpenId, Scopes.Email]).Distinct(StringComparer.Ordinal);

    private sealed class OAuthOptionsValidation : IValidateOptions<OAuthOptions>
    {
        public ValidateOptionsResult Validate(string? name, OAuthOptions options) =>
            options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
