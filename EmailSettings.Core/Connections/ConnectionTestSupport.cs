using EmailSettings.Core.OAuth;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Connections;

/// <summary>What the SMTP and IMAP testers do alike around the connection itself.</summary>
internal static class ConnectionTestSupport
{
    /// <summary>
    /// The password a test signs in with: the typed one; otherwise the stored one, but only for the username it was
    /// stored with, so a changed username is never tried with the old password. Returns why the admin must type it
    /// when neither can be used.
    /// </summary>
    public static (string? Password, string? MissingBecause) ChoosePassword(
        ConnectionProtocol protocol, string username, string? typed, string? storedUsername, string? storedProtected,
        Func<string, string?> unprotect)
    {
        if (typed is not null || storedProtected is null)
        {
            return (typed, null);
        }
        if (!string.Equals(storedUsername, username, StringComparison.Ordinal))
        {
            return (null, $"{protocol.UsernameLabel} differs from the saved one, so the saved password is not used. Enter the {protocol.PasswordLabel} for \"{username}\".");
        }
        var password = unprotect(storedProtected);
        return password is null
            ? (null, $"The saved {protocol.PasswordLabel} can no longer be read. Enter it again.")
            : (password, null);
    }

    /// <summary>
    /// The OAuth2 credential a test signs in with: the dialog's new sign-in, else the saved record's grant (when the
    /// provider is unchanged). A result instead when there is none to use, or the saved one needs a Reconnect.
    /// </summary>
    public static async Task<(OAuth2Credential? Credential, ConnectionTestResult? Result)> ChooseOAuth2Async(
        MailCredentials credentials, ConnectionProtocol protocol, Guid tenantId, OAuthTargetKind kind, int? existingId,
        string? provider, Guid? newGrantId, OAuthGrantInfo? savedGrant, string username, TimeSpan elapsed, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            return (null, ConnectionTestResult.Failed(protocol.Name, ConnectionFailureKind.InvalidInput, OAuthSignInRules.ProviderRequiredMessage,
                null, "Choose the provider, sign in, then test again.", elapsed));
        }
        if (newGrantId is { } grantId)
        {
            return (credentials.OAuth2(tenantId, grantId, provider, username), null);
        }
        if (existingId is { } id && savedGrant is not null && string.Equals(savedGrant.ProviderName, provider, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return (await credentials.ForRecordAsync(tenantId, kind, id, username, ct), null);
            }
            catch (OAuthReconnectNeededException dead)
            {
                return (null, ConnectionTestResult.Failed(protocol.Name, ConnectionFailureKind.ReconnectNeeded,
                    $"Reconnect needed: {dead.ProviderDisplayName} no longer accepts the saved sign-in ({dead.Reason}).", null,
                    $"Sign in with {dead.ProviderDisplayName} again, then test.", elapsed));
            }
        }
        return (null, ConnectionTestResult.Failed(protocol.Name, ConnectionFailureKind.SignInRequired, OAuthGrantStore.SignInRequiredMessage, null,
            "Use the sign-in button, consent at the provider, then test again. Nothing is saved until you save the dialog.", elapsed));
    }

    /// <summary>The result that asks for the password: the test cannot sign in without one.</summary>
    public static ConnectionTestResult PasswordRequired(ConnectionProtocol protocol, string summary, TimeSpan elapsed) =>
        ConnectionTestResult.Failed(protocol.Name, ConnectionFailureKind.PasswordRequired, summary, protocol.PasswordField,
            "Type the password, then test again. Nothing is saved until you save the dialog.", elapsed);

    /// <summary>One line per test (never a password: the detail is scrubbed), the raw detail only at Debug.</summary>
    public static void Log(ILogger logger, ConnectionProtocol protocol, Guid tenantId, ConnectionTestResult result, SecretScrubber scrubber)
    {
        logger.LogInformation(
            "{Protocol} connection test of {Host}:{Port} ({TlsMode}) for tenant {TenantId}: {Outcome} after {ElapsedMs} ms",
            protocol.Name, result.Host, result.Port, result.TlsMode, tenantId, result.Succeeded ? "succeeded" : result.Failure.ToString(),
            (long)result.Elapsed.TotalMilliseconds);
        if (result.Detail is not null)
        {
            logger.LogDebug("{Protocol} connection test detail: {Detail}", protocol.Name, scrubber.Scrub(result.Detail));
        }
    }
}
