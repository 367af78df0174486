using System.Security.Cryptography;
using EmailSettings.Core.Data;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Test Connection of the mail server dialog: reaches the host, negotiates TLS, signs in when a username is given
/// and says QUIT. It never starts a mail transaction (no MAIL FROM, no DATA), so no email is ever sent.
/// </summary>
public sealed class SmtpConnectionTester(
    ITenantContext tenant,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    SecretProtector secrets,
    MailCredentials credentials,
    IOptions<ConnectionTestOptions> options,
    TimeProvider time,
    ILogger<SmtpConnectionTester> logger)
{
    private static readonly ConnectionProtocol Protocol = ConnectionProtocol.Smtp;

    private static readonly string[] ConnectionFields =
    [
        nameof(MailServerInput.SmtpHost),
        nameof(MailServerInput.SmtpPort),
        nameof(MailServerInput.SmtpUsername),
        nameof(MailServerInput.SmtpPassword),
    ];

    private static readonly (SmtpCapabilities Flag, string Keyword)[] Extensions =
    [
        (SmtpCapabilities.StartTLS, "STARTTLS"),
        (SmtpCapabilities.Size, "SIZE"),
        (SmtpCapabilities.EightBitMime, "8BITMIME"),
        (SmtpCapabilities.Pipelining, "PIPELINING"),
        (SmtpCapabilities.EnhancedStatusCodes, "ENHANCEDSTATUSCODES"),
        (SmtpCapabilities.UTF8, "SMTPUTF8"),
        (SmtpCapabilities.Dsn, "DSN"),
        (SmtpCapabilities.Chunking, "CHUNKING"),
        (SmtpCapabilities.BinaryMime, "BINARYMIME"),
        (SmtpCapabilities.RequireTLS, "REQUIRETLS"),
    ];

    /// <summary>
    /// Tests the values as typed (unsaved). With <paramref name="existingServerId"/> and a blank password, the stored
    /// password of that server is used, provided the server is in the caller's tenant and the username is unchanged.
    /// </summary>
    public async Task<ConnectionTestResult> TestAsync(MailServerInput input, int? existingServerId, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var started = time.GetTimestamp();

        var errors = input.Validate();
        var invalid = ConnectionFields.FirstOrDefault(errors.ContainsKey);
        if (invalid is not null)
        {
            return ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.InvalidInput, errors[invalid], invalid,
                "Correct the field, then test again.", time.GetElapsedTime(started));
        }

        var username = string.IsNullOrWhiteSpace(input.SmtpUsername) ? null : input.SmtpUsername.Trim();
        if (input.SignInMethod == OAuth.SignInMethod.OAuth2)
        {
            if (username is null)
            {
                return ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.InvalidInput,
                    $"Enter the {Protocol.UsernameLabel}: the mailbox that signs in with OAuth2.", Protocol.UsernameField,
                    "Correct the field, then test again.", time.GetElapsedTime(started));
            }
            var chosen = await ConnectionTestSupport.ChooseOAuth2Async(credentials, Protocol, tenantId, OAuth.OAuthTargetKind.MailServer,
                existingServerId, input.OAuthProvider, input.OAuthGrantId, input.OAuthGrant, username, time.GetElapsedTime(started), ct);
            return chosen.Credential is { } token ? await TestWithAsync(tenantId, input, token, ct) : chosen.Result!;
        }
        var password = string.IsNullOrEmpty(input.SmtpPassword) ? null : input.SmtpPassword;
        if (existingServerId is { } id)
        {
            await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
            var stored = await db.MailServers.AsNoTracking()
                .Where(s => s.Id == id && s.TenantId == tenantId)
                .Select(s => new { s.SmtpUsername, s.SmtpPasswordProtected })
                .FirstOrDefaultAsync(ct);
            if (stored is null)
            {
                return ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.NotFound, MailServerService.NotFoundMessage, null,
                    "Close the dialog; the server may have been deleted.", time.GetElapsedTime(started));
            }
            if (username is not null)
            {
                (password, var missingBecause) = ConnectionTestSupport.ChoosePassword(
                    Protocol, username, password, stored.SmtpUsername, stored.SmtpPasswordProtected, p => Unprotect(p, id));
                if (missingBecause is not null)
                {
                    return ConnectionTestSupport.PasswordRequired(Protocol, missingBecause, time.GetElapsedTime(started));
                }
            }
        }
        if (username is not null && password is null)
        {
            return ConnectionTestSupport.PasswordRequired(Protocol, $"Enter the SMTP Password to test signing in as \"{username}\".", time.GetElapsedTime(started));
        }

        return await TestWithAsync(tenantId, input, username is null ? null : new PasswordCredential(username, password!), ct);
    }

    private async Task<ConnectionTestResult> TestWithAsync(Guid tenantId, MailServerInput input, MailCredential? credential, CancellationToken ct)
    {
        var endpoint = new MailEndpoint(Protocol, input.SmtpHost.Trim(), input.SmtpPort, input.UseTls, input.PinnedCertificateSha256);
        using var connection = new SmtpMailConnection(endpoint, credential, MailTimeLimit.WholeSession(options.Value.Timeout, time, ct));
        using var run = new ConnectionTestRun(connection);
        var result = await RunAsync(run, connection);
        ConnectionTestSupport.Log(logger, Protocol, tenantId, result, connection.Scrubber);
        return result;
    }

    private async Task<ConnectionTestResult> RunAsync(ConnectionTestRun run, SmtpMailConnection connection)
    {
        var client = connection.Client;
        var endpoint = connection.Endpoint;
        try
        {
            await run.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                await QuitAsync(connection);
                return run.Failed(refusal);
            }

            var tls = connection.TlsProtocol;
            var capabilities = CapabilitiesOf(client);
            var offersStartTls = client.Capabilities.HasFlag(SmtpCapabilities.StartTLS);
            await QuitAsync(connection);

            var summary = connection.Credential is null
                ? $"Connected to {endpoint.Address} with {run.ChannelText(tls)}. No sign-in was tried because SMTP Username is blank."
                : $"Connected to {endpoint.Address} with {run.ChannelText(tls)} and signed in as \"{connection.Credential.Username}\".";
            var result = run.Succeeded(summary, tls, capabilities);
            return endpoint.Mode != SecureSocketOptions.None ? result : result with
            {
                Hint = offersStartTls
                    ? "The connection is not encrypted, although the server offers STARTTLS: turn on Use TLS/STARTTLS."
                    : connection.Credential is OAuth2Credential
                        ? "The connection is not encrypted: the access token and mail travel in plain text."
                        : "The connection is not encrypted: the password and mail travel in plain text.",
            };
        }
        catch (Exception ex) when (MailFailureClassifier.IsConnectionError(ex))
        {
            return await run.FailedAsync(ex);
        }
    }

    private static List<string> CapabilitiesOf(SmtpClient client)
    {
        var list = new List<string>();
        if (client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
        {
            list.Add(("AUTH " + string.Join(' ', client.AuthenticationMechanisms)).TrimEnd());
        }
        list.AddRange(Extensions.Where(e => client.Capabilities.HasFlag(e.Flag)).Select(e => e.Keyword));
        return list;
    }

    /// <summary>Says QUIT. A server that hangs up instead does not make a successful test fail.</summary>
    private async Task QuitAsync(MailConnection connection)
    {
        if (await connection.QuitAsync() is { } problem)
        {
            logger.LogDebug("QUIT did not complete cleanly ({Error}); the test result stands", problem);
        }
    }

    private string? Unprotect(string protectedPassword, int serverId)
    {
        try
        {
            return secrets.Unprotect(SecretKind.SmtpPassword, protectedPassword);
        }
        catch (CryptographicException)
        {
            logger.LogWarning("The stored SMTP password of server {ServerId} cannot be decrypted (Data Protection keys changed?)", serverId);
            return null;
        }
    }
}
