using Microsoft.Extensions.Options;

namespace EmailSettings.Core.OAuth;

/// <summary>A provider the admin can sign in with: configured and with a client id.</summary>
/// <param name="Name">The configuration name (<c>OAuth:Providers:&lt;Name&gt;</c>), stored on records and grants.</param>
/// <param name="DisplayName">"Microsoft", "Google", or the configured DisplayName: the button says "Sign in with {DisplayName}".</param>
/// <param name="AppOnly">Also offers app-only access (client credentials) for shared mailboxes.</param>
public sealed record OAuthProvider(string Name, string DisplayName, bool AppOnly, IReadOnlyList<string> AppOnlyScopes)
{
    public string SignInText => $"Sign in with {DisplayName}";
}

/// <summary>The providers of this installation, from configuration; a provider without a client id is not offered.</summary>
public sealed class OAuthProviderCatalog(IOptions<OAuthOptions> options)
{
    private readonly IReadOnlyList<OAuthProvider> providers = Build(options.Value);

    public IReadOnlyList<OAuthProvider> All => providers;

    public OAuthProvider? Find(string? name) =>
        name is null ? null : providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The display name of <paramref name="name"/>, also for a provider removed from configuration since.</summary>
    public string DisplayNameOf(string name) => Find(name)?.DisplayName ?? name;

    internal static IReadOnlyList<OAuthProvider> Build(OAuthOptions options) =>
        options.Providers
            .Where(p => !string.IsNullOrWhiteSpace(p.Value.ClientId))
            .Select(p => new OAuthProvider(
                CanonicalName(p.Key),
                string.IsNullOrWhiteSpace(p.Value.DisplayName) ? CanonicalName(p.Key) : p.Value.DisplayName.Trim(),
                p.Value.AppOnly,
                p.Value.AppOnlyScopes is { Length: > 0 } scopes ? scopes
                    : string.Equals(p.Key, OAuthOptions.Microsoft, StringComparison.OrdinalIgnoreCase) ? OAuthProviderOptions.MicrosoftAppOnlyScopes : []))
            .OrderBy(p => p.Name is OAuthOptions.Microsoft ? 0 : p.Name is OAuthOptions.Google ? 1 : 2)
            .ThenBy(p => p.DisplayName, StringComparer.CurrentCultureIgnoreCase)
            .ToList();

    internal static string CanonicalName(string key) =>
        string.Equals(key, OAuthOptions.Microsoft, StringComparison.OrdinalIgnoreCase) ? OAuthOptions.Microsoft
        : string.Equals(key, OAuthOptions.Google, StringComparison.OrdinalIgnoreCase) ? OAuthOptions.Google
        : key;
}
