namespace EmailSettings.Core.OAuth;

/// <summary>
/// The grant is dead: the provider refused its refresh token (revoked, expired, password changed, consent withdrawn),
/// or it was marked so earlier. Only a new sign-in (Reconnect) helps; nothing retries it.
/// </summary>
public sealed class OAuthReconnectNeededException(string providerDisplayName, string reason)
    : Exception($"Reconnect needed: {providerDisplayName} no longer accepts the sign-in ({reason}). Sign in again with Reconnect.")
{
    public string ProviderDisplayName { get; } = providerDisplayName;
    public string Reason { get; } = reason;
}

/// <summary>A new access token could not be had for now (the provider unreachable or failing); the next run tries again.</summary>
public sealed class OAuthTokenUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
