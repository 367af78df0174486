using EmailSettings.Core.OAuth;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>The dialogs' "Sign-in method" choice: Password, OAuth2 with a provider, or a provider's app-only access.</summary>
internal sealed record SignInChoice(string Key, string Label, SignInMethod Method, string? Provider, bool AppOnly)
{
    private const string PasswordKey = "password";

    public static SignInChoice Password { get; } = new(PasswordKey, "Password", SignInMethod.Password, null, false);

    /// <summary>Password first, then each configured provider (and its app-only access where enabled).</summary>
    public static IReadOnlyList<SignInChoice> For(IReadOnlyList<OAuthProvider> providers) =>
        [Password, .. providers.SelectMany(p => p.AppOnly
            ? new[] { Delegated(p), new SignInChoice($"app:{p.Name}", $"{p.DisplayName} app-only (shared mailbox)", SignInMethod.OAuth2, p.Name, true) }
            : [Delegated(p)])];

    /// <summary>The choice a saved record shows.</summary>
    public static string KeyOf(SignInMethod method, string? provider, OAuthGrantInfo? grant) =>
        method != SignInMethod.OAuth2 || provider is null ? PasswordKey
        : grant is { Flow: OAuthGrantFlow.AppOnly } ? $"app:{provider}" : $"oauth:{provider}";

    private static SignInChoice Delegated(OAuthProvider p) => new($"oauth:{p.Name}", $"OAuth2 with {p.DisplayName}", SignInMethod.OAuth2, p.Name, false);
}
