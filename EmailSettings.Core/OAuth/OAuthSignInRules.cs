namespace EmailSettings.Core.OAuth;

/// <summary>What a dialog needs before it can save an OAuth2 sign-in; shared by the server and account inputs.</summary>
internal static class OAuthSignInRules
{
    public const string ProviderRequiredMessage = "Choose the OAuth2 provider to sign in with.";

    public static void Check(Dictionary<string, string> errors, string? provider, Guid? newGrantId, OAuthGrantInfo? grant,
        string? username, string usernameField, string usernameRequired, string providerField, string grantField)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            errors.TryAdd(providerField, ProviderRequiredMessage);
            return;
        }
        if (string.IsNullOrWhiteSpace(username))
        {
            errors.TryAdd(usernameField, usernameRequired);
        }
        var signedIn = newGrantId is not null
            || grant is not null && string.Equals(grant.ProviderName, provider, StringComparison.OrdinalIgnoreCase);
        if (!signedIn)
        {
            errors.TryAdd(grantField, OAuthGrantStore.SignInRequiredMessage);
        }
    }
}
