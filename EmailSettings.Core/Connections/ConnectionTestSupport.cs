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
