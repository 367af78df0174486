namespace EmailSettings.Core.OAuth;

/// <summary>Configuration section "OAuth": the installation's OAuth2 providers and the sign-in's limits.</summary>
public sealed class OAuthOptions
{
    public const string SectionName = "OAuth";

    /// <summary>The provider names with built-in endpoints; any other name under Providers is a generic provider.</summary>
    public const string Microsoft = "Microsoft";
    public const string Google = "Google";

    /// <summary>The path the providers redirect back to; register <c>https://&lt;portal&gt;</c> + this path at each provider.</summary>
    public const string DefaultRedirectPath = "/oauth/callback";

    /// <summary>Providers by name: Microsoft, Google and any number of generic ones.</summary>
    public Dictionary<string, OAuthProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where the providers send the admin back to (the redirection endpoint), a path on this portal.</summary>
    public string RedirectPath { get; set; } = DefaultRedirectPath;

    /// <summary>How long a started sign-in may take; its state is refused afterwards.</summary>
    public TimeSpan SignInTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An access token is renewed when it expires within this time, before a connection uses it.</summary>
    public TimeSpan RefreshAhead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Accept the redirection on plain HTTP and talk to token endpoints over HTTP. Only for local development and the
    /// tests (the portal on http://localhost); production runs behind HTTPS.
    /// </summary>
    public bool AllowHttp { get; set; }

    internal string? Validate()
    {
        if (string.IsNullOrWhiteSpace(RedirectPath) || !RedirectPath.StartsWith('/'))
        {
            return "OAuth:RedirectPath must be a path starting with '/', for example \"/oauth/callback\".";
        }
        if (SignInTimeout < TimeSpan.FromMinutes(1) || SignInTimeout > TimeSpan.FromHours(1))
        {
            return "OAuth:SignInTimeout must be between 00:01:00 and 01:00:00.";
        }
        if (RefreshAhead < TimeSpan.Zero || RefreshAhead > TimeSpan.FromMinutes(30))
        {
            return "OAuth:RefreshAhead must be between 00:00:00 and 00:30:00.";
        }
        foreach (var (name, provider) in Providers)
        {
            if (provider.Validate(name) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }
}

/// <summary>One provider under <c>OAuth:Providers:&lt;name&gt;</c>.</summary>
public sealed class OAuthProviderOptions
{
    /// <summary>The Microsoft scopes for IMAP and SMTP with a refresh token.</summary>
    public static readonly string[] MicrosoftDefaultScopes =
        ["offline_access", "https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send"];

    /// <summary>Google's scope for IMAP and SMTP (offline access is asked for with access_type=offline).</summary>
    public static readonly string[] GoogleDefaultScopes = ["https://mail.google.com/"];

    /// <summary>Exchange Online's app-only scope for a shared mailbox (client credentials grant).</summary>
    public static readonly string[] MicrosoftAppOnlyScopes = ["https://outlook.office365.com/.default"];

    /// <summary>The button says "Sign in with {DisplayName}"; defaults to the provider's name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>A provider without a client id is not offered.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Replaces the default scopes. "openid email" are always added so the page can say who signed in.</summary>
    public string[]? Scopes { get; set; }

    /// <summary>Microsoft: the Entra tenant (id or domain). "common" works only for multi-tenant app registrations.</summary>
    public string? Tenant { get; set; }

    /// <summary>Generic: the issuer; without explicit endpoints its discovery document is read.</summary>
    public string? Issuer { get; set; }

    /// <summary>Generic: the authorization endpoint (with <see cref="TokenEndpoint"/>, instead of discovery).</summary>
    public string? AuthorizationEndpoint { get; set; }

    /// <summary>Generic: the token endpoint.</summary>
    public string? TokenEndpoint { get; set; }

    /// <summary>Also offer app-only access (client credentials grant), for shared mailboxes without a user sign-in.</summary>
    public bool AppOnly { get; set; }

    /// <summary>The scopes of the app-only grant; Microsoft defaults to <see cref="MicrosoftAppOnlyScopes"/>.</summary>
    public string[]? AppOnlyScopes { get; set; }

    internal string? Validate(string name)
    {
        if (string.IsNullOrWhiteSpace(ClientId) || IsBuiltIn(name))
        {
            return null;
        }
        var hasEndpoints = !string.IsNullOrWhiteSpace(AuthorizationEndpoint) || !string.IsNullOrWhiteSpace(TokenEndpoint);
        if (hasEndpoints && (!IsAbsolute(AuthorizationEndpoint) || !IsAbsolute(TokenEndpoint)))
        {
            return $"OAuth:Providers:{name} needs both AuthorizationEndpoint and TokenEndpoint as absolute URLs (or only Issuer, for discovery).";
        }
        if (!hasEndpoints && !IsAbsolute(Issuer))
        {
            return $"OAuth:Providers:{name} needs an Issuer (an absolute URL whose discovery document is read) or AuthorizationEndpoint and TokenEndpoint.";
        }
        if (Issuer is not null && !IsAbsolute(Issuer))
        {
            return $"OAuth:Providers:{name}:Issuer must be an absolute URL.";
        }
        return null;
    }

    internal static bool IsBuiltIn(string name) =>
        string.Equals(name, OAuthOptions.Microsoft, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, OAuthOptions.Google, StringComparison.OrdinalIgnoreCase);

    private static bool IsAbsolute(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http";
}
