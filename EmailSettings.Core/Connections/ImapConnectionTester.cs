using System.Security.Cryptography;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Test Connection of the account dialog's IMAP settings: connects, negotiates TLS, logs in, opens INBOX read-only
/// and reports its message count and whether the server offers CONDSTORE, QRESYNC and IDLE.
/// </summary>
public sealed class ImapConnectionTester(
    ITenantContext tenant,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    SecretProtector secrets,
    MailCredentials credentials,
    IOptions<ConnectionTestOptions> options,
    TimeProvider time,
    ILogger<ImapConnectionTester> logger)
{
    public const string CondStore = "CONDSTORE";
    public const string QResync = "QRESYNC";
    public const string Idle = "IDLE";

    private static readonly ConnectionProtocol Protocol = ConnectionProtocol.Imap;

    private static readonly string[] ConnectionFields =
    [
        nameof(EmailAccountInput.ImapHost),
        nameof(EmailAccountInput.ImapPort),
        nameof(EmailAccountInput.ImapUsername),
        nameof(EmailAccountInput.ImapPassword),
    ];

    /// <summary>The most folders "List folders" returns; a server with more lists the first ones.</summary>
    public const int MaxListedFolders = 1000;

    /// <summary>
    /// Tests the IMAP values as typed (unsaved). With <paramref name="existingAccountId"/> and a blank password, the
    /// stored password of that account is used, provided it is in the caller's tenant and the username is unchanged.
    /// </summary>
    public async Task<ConnectionTestResult> TestAsync(EmailAccountInput input, int? existingAccountId, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var started = time.GetTimestamp();
        var session = await PrepareAsync(tenantId, input, existingAccountId, started, ct);
        if (session.Refused is { } refused)
        {
            return refused;
        }
        using var connection = session.Open(options.Value.Timeout, time, ct);
        using var run = new ConnectionTestRun(connection);
        var result = await RunAsync(run, connection);
        ConnectionTestSupport.Log(logger, Protocol, tenantId, result, connection.Scrubber);
        return result;
    }

    /// <summary>
    /// "List folders" of the account dialog: signs in with the values as typed (the password as for
    /// <see cref="TestAsync"/>) over the same connection layer and lists every folder of every namespace the server
    /// offers (LIST only, nothing is opened), INBOX first. A failure comes back as the result Test IMAP Connection
    /// would show.
    /// </summary>
    public async Task<ImapFolderListing> ListFoldersAsync(EmailAccountInput input, int? existingAccountId, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var started = time.GetTimestamp();
        var session = await PrepareAsync(tenantId, input, existingAccountId, started, ct);
        if (session.Refused is { } refused)
        {
            return ImapFolderListing.Failed(refused);
        }
        using var connection = session.Open(options.Value.Timeout, time, ct);
        using var run = new ConnectionTestRun(connection);
        ImapFolderListing listing;
        try
        {
            await run.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                await LogoutAsync(connection);
                listing = ImapFolderListing.Failed(run.Failed(refusal));
            }
            else
            {
                var folders = await connection.ListFoldersAsync(MaxListedFolders);
                await LogoutAsync(connection);
                listing = new ImapFolderListing([.. ImapFolderInfo.InDisplayOrder(folders.Select(ImapFolderInfo.From))], null)
                {
                    Truncated = folders.Count >= MaxListedFolders,
                };
            }
        }
        catch (Exception ex) when (MailFailureClassifier.IsConnectionError(ex))
        {
            listing = ImapFolderListing.Failed(await run.FailedAsync(ex));
        }
        logger.LogInformation("IMAP folder listing of {Host}:{Port} for tenant {TenantId}: {Outcome} in {ElapsedMs} ms",
            connection.Endpoint.Host, connection.Endpoint.Port, tenantId,
            listing.Failure is { } failed ? failed.Failure.ToString() : $"{listing.Folders.Count} folders", (long)time.GetElapsedTime(started).TotalMilliseconds);
        return listing;
    }

    /// <summary>Checks the typed values and picks the password; either a session to open or the result that refuses one.</summary>
    private async Task<PreparedSession> PrepareAsync(Guid tenantId, EmailAccountInput input, int? existingAccountId, long started, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.ImapHost))
        {
            return new(Invalid(nameof(EmailAccountInput.ImapHost), "Enter the IMAP Host to test incoming email.", started));
        }
        // The password is judged below (typed or stored); here only its length counts.
        var errors = input.Validate(isCreate: false, hasStoredImapPassword: true);
        var invalid = ConnectionFields.FirstOrDefault(errors.ContainsKey);
        if (invalid is not null)
        {
            return new(Invalid(invalid, errors[invalid], started));
        }

        var username = input.ImapUsername!.Trim();
        if (input.ImapSignInMethod == OAuth.SignInMethod.OAuth2)
        {
            var chosen = await ConnectionTestSupport.ChooseOAuth2Async(credentials, Protocol, tenantId, OAuth.OAuthTargetKind.EmailAccount,
                existingAccountId, input.ImapOAuthProvider, input.ImapOAuthGrantId, input.ImapOAuthGrant, username, time.GetElapsedTime(started), ct);
            return chosen.Credential is { } token ? Session(input, token) : new(chosen.Result!);
        }
        var password = string.IsNullOrEmpty(input.ImapPassword) ? null : input.ImapPassword;
        if (existingAccountId is { } id)
        {
            await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
            var stored = await db.EmailAccounts.AsNoTracking()
                .Where(a => a.Id == id && a.TenantId == tenantId)
                .Select(a => new { a.ImapUsername, a.ImapPasswordProtected })
                .FirstOrDefaultAsync(ct);
            if (stored is null)
            {
                return new(ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.NotFound, EmailAccountService.NotFoundMessage, null,
                    "Close the dialog; the account may have been deleted.", time.GetElapsedTime(started)));
            }
            (password, var missingBecause) = ConnectionTestSupport.ChoosePassword(
                Protocol, username, password, stored.ImapUsername, stored.ImapPasswordProtected, p => Unprotect(p, id));
            if (missingBecause is not null)
            {
                return new(ConnectionTestSupport.PasswordRequired(Protocol, missingBecause, time.GetElapsedTime(started)));
            }
        }
        if (password is null)
        {
            return new(ConnectionTestSupport.PasswordRequired(Protocol, $"Enter the IMAP Password to test signing in as \"{username}\".", time.GetElapsedTime(started)));
        }
        return Session(input, new PasswordCredential(username, password));
    }

    private PreparedSession Session(EmailAccountInput input, MailCredential credential) => new(null)
    {
        Endpoint = new MailEndpoint(Protocol, input.ImapHost!.Trim(), input.ImapPort, input.ImapUseTls, input.ImapPinnedCertificateSha256),
        Credential = credential,
    };

    /// <summary>What <see cref="PrepareAsync"/> found: the refusal, or where and as whom to sign in.</summary>
    private sealed record PreparedSession(ConnectionTestResult? Refused)
    {
        public MailEndpoint? Endpoint { get; init; }
        public MailCredential? Credential { get; init; }

        public ImapMailConnection Open(TimeSpan timeout, TimeProvider time, CancellationToken ct) =>
            new(Endpoint!, Credential!, MailTimeLimit.WholeSession(timeout, time, ct));
    }

    private async Task<ConnectionTestResult> RunAsync(ConnectionTestRun run, ImapMailConnection connection)
    {
        var client = connection.Client;
        var endpoint = connection.Endpoint;
        try
        {
            await run.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                await LogoutAsync(connection);
                return run.Failed(refusal);
            }

            var inbox = await connection.OpenInboxAsync();
            var count = inbox.Count;

            var tls = connection.TlsProtocol;
            var capabilities = new List<string>();
            if (client.Capabilities.HasFlag(ImapCapabilities.CondStore))
            {
                capabilities.Add(CondStore);
            }
            if (client.Capabilities.HasFlag(ImapCapabilities.QuickResync))
            {
                capabilities.Add(QResync);
            }
            if (client.Capabilities.HasFlag(ImapCapabilities.Idle))
            {
                capabilities.Add(Idle);
            }
            var offersStartTls = client.Capabilities.HasFlag(ImapCapabilities.StartTLS);
            await LogoutAsync(connection);

            var result = run.Succeeded(
                $"Connected to {endpoint.Address} with {run.ChannelText(tls)}, signed in as \"{connection.Credential!.Username}\" and opened INBOX ({count} {(count == 1 ? "message" : "messages")}).",
                tls, capabilities, count);
            return endpoint.Mode != SecureSocketOptions.None ? result : result with
            {
                Hint = offersStartTls
                    ? "The connection is not encrypted, although the server offers STARTTLS: turn on Use TLS/SSL."
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

    /// <summary>Says LOGOUT. A server that hangs up instead does not make a successful test fail.</summary>
    private async Task LogoutAsync(MailConnection connection)
    {
        if (await connection.QuitAsync() is { } problem)
        {
            logger.LogDebug("LOGOUT did not complete cleanly ({Error}); the test result stands", problem);
        }
    }

    private string? Unprotect(string protectedPassword, int accountId)
    {
        try
        {
            return secrets.Unprotect(SecretKind.ImapPassword, protectedPassword);
        }
        catch (CryptographicException)
        {
            logger.LogWarning("The stored IMAP password of account {AccountId} cannot be decrypted (Data Protection keys changed?)", accountId);
            return null;
        }
    }

    private ConnectionTestResult Invalid(string field, string message, long started) =>
        ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.InvalidInput, message, field,
            "Correct the field, then test again.", time.GetElapsedTime(started));
}
