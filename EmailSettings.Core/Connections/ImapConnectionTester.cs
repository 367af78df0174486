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

    /// <summary>
    /// Tests the IMAP values as typed (unsaved). With <paramref name="existingAccountId"/> and a blank password, the
    /// stored password of that account is used, provided it is in the caller's tenant and the username is unchanged.
    /// </summary>
    public async Task<ConnectionTestResult> TestAsync(EmailAccountInput input, int? existingAccountId, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var started = time.GetTimestamp();

        if (string.IsNullOrWhiteSpace(input.ImapHost))
        {
            return Invalid(nameof(EmailAccountInput.ImapHost), "Enter the IMAP Host to test incoming email.", started);
        }
        // The password is judged below (typed or stored); here only its length counts.
        var errors = input.Validate(isCreate: false, hasStoredImapPassword: true);
        var invalid = ConnectionFields.FirstOrDefault(errors.ContainsKey);
        if (invalid is not null)
        {
            return Invalid(invalid, errors[invalid], started);
        }

        var username = input.ImapUsername!.Trim();
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
                return ConnectionTestResult.Failed(Protocol.Name, ConnectionFailureKind.NotFound, EmailAccountService.NotFoundMessage, null,
                    "Close the dialog; the account may have been deleted.", time.GetElapsedTime(started));
            }
            (password, var missingBecause) = ConnectionTestSupport.ChoosePassword(
                Protocol, username, password, stored.ImapUsername, stored.ImapPasswordProtected, p => Unprotect(p, id));
            if (missingBecause is not null)
            {
                return ConnectionTestSupport.PasswordRequired(Protocol, missingBecause, time.GetElapsedTime(started));
            }
        }
        if (password is null)
        {
            return ConnectionTestSupport.PasswordRequired(Protocol, $"Enter the IMAP Password to test signing in as \"{username}\".", time.GetElapsedTime(started));
        }

        var target = new ConnectionTarget(
            input.ImapHost.Trim(), input.ImapPort, input.ImapUseTls, TlsPolicy.ForImap(input.ImapPort, input.ImapUseTls),
            username, password, input.ImapPinnedCertificateSha256);
        using var run = new ConnectionTestRun(Protocol, target, options.Value.Timeout, time, ct);
        var result = await RunAsync(run, target);
        ConnectionTestSupport.Log(logger, Protocol, tenantId, result, run);
        return result;
    }

    private async Task<ConnectionTestResult> RunAsync(ConnectionTestRun run, ConnectionTarget target)
    {
        // NullProtocolLogger: a protocol log would record the LOGIN command, and with it the password.
        using var client = new ImapClient(new NullProtocolLogger())
        {
            Timeout = run.ClientTimeoutMilliseconds,
            ServerCertificateValidationCallback = run.Certificate.Validate,
        };
        try
        {
            using var socket = await run.ConnectSocketAsync();
            await client.ConnectAsync(socket, target.Host, target.Port, target.Mode, run.HandshakeToken());
            run.Secure = client.IsSecure;

            run.Stage = ConnectionStage.Authenticating;
            var refusal = LoginNotOffered(client, run);
            if (refusal is not null)
            {
                await LogoutAsync(client, run);
                return refusal;
            }
            // A SASL mechanism when one fits, else the LOGIN command: either way exactly one attempt.
            if (run.ChooseMechanism(client.AuthenticationMechanisms) is { } mechanism)
            {
                await client.AuthenticateAsync(mechanism, run.Token);
            }
            else
            {
                await client.AuthenticateAsync(target.Username!, target.Password!, run.Token);
            }

            run.Stage = ConnectionStage.OpeningMailbox;
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly, run.Token);
            var count = client.Inbox.Count;

            var tls = ConnectionTestRun.DescribeTls(client.IsSecure, client.SslProtocol);
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
            await LogoutAsync(client, run);

            var result = run.Succeeded(
                $"Connected to {target.Host}:{target.Port} with {run.ChannelText(tls)}, signed in as \"{target.Username}\" and opened INBOX ({count} {(count == 1 ? "message" : "messages")}).",
                tls, capabilities, count);
            return target.Mode != SecureSocketOptions.None ? result : result with
            {
                Hint = offersStartTls
                    ? "The connection is not encrypted, although the server offers STARTTLS: turn on Use TLS/SSL."
                    : "The connection is not encrypted: the password and mail travel in plain text.",
            };
        }
        catch (Exception ex) when (ConnectionTestRun.IsConnectionError(ex))
        {
            return await run.FailedAsync(ex);
        }
    }

    /// <summary>LOGINDISABLED without a usable SASL mechanism: say which setting to change instead of failing blindly.</summary>
    private static ConnectionTestResult? LoginNotOffered(ImapClient client, ConnectionTestRun run)
    {
        if (!client.Capabilities.HasFlag(ImapCapabilities.LoginDisabled)
            || client.AuthenticationMechanisms.Any(ConnectionTestRun.IsPasswordMechanism))
        {
            return null;
        }
        return !client.IsSecure && client.Capabilities.HasFlag(ImapCapabilities.StartTLS)
            ? run.Failed(ConnectionFailureKind.AuthenticationMechanismNotSupported,
                "The server allows login only over TLS, and Use TLS/SSL is off.",
                Protocol.TlsField, "Turn on Use TLS/SSL.")
            : run.Failed(ConnectionFailureKind.AuthenticationMechanismNotSupported,
                "The server does not offer a password login this portal can use.",
                Protocol.UsernameField,
                "Ask the provider to enable IMAP password login, for example with an app password.");
    }

    /// <summary>Says LOGOUT. A server that hangs up instead does not make a successful test fail.</summary>
    private async Task LogoutAsync(ImapClient client, ConnectionTestRun run)
    {
        run.Stage = ConnectionStage.Disconnecting;
        try
        {
            await client.DisconnectAsync(true, run.Token);
        }
        catch (Exception ex) when (ex is IOException or ProtocolException or CommandException or OperationCanceledException)
        {
            logger.LogDebug("LOGOUT did not complete cleanly ({Error}); the test result stands", run.Scrub(ex.Message));
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
