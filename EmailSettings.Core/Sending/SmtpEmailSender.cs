using System.Net.Sockets;
using System.Security.Cryptography;
using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace EmailSettings.Core.Sending;

/// <summary>
/// Sends through MailKit with the same TLS choice and certificate pinning as Test Connection (<see cref="TlsPolicy"/>),
/// one SMTP client per message, and writes one email log row per attempt.
/// </summary>
public sealed class SmtpEmailSender(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    SecretProtector secrets,
    MailCredentials credentials,
    TimeProvider clock,
    IOptions<SendingOptions> options,
    ILogger<SmtpEmailSender> logger) : IEmailSender
{
    public const string NoDefaultAccountMessage = "No default email account is set: mark an account as default or choose one.";
    public const string AccountNotFoundMessage = "The selected email account does not exist. Choose another account.";
    public const string CancelledMessage = "The send was cancelled before the server accepted the message.";
    public const string UnexpectedMessage = "An unexpected error stopped the send. Nothing was sent; the portal's log has the details.";

    public Task<SendResult> SendAsync(OutgoingEmail email, CancellationToken ct = default) =>
        SendCoreAsync(tenant.RequireTenantAdmin(), email, ct);

    private async Task<SendResult> SendCoreAsync(Guid tenantId, OutgoingEmail email, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(email);
        var entry = new EmailLogEntry
        {
            TenantId = tenantId,
            AttemptedAt = clock.GetUtcNow().UtcDateTime,
            Recipients = string.Join(", ", email.To ?? []),
            Subject = email.Subject ?? "",
        };

        if (email.Validate() is { } invalid)
        {
            return await FailAsync(entry, SendFailureKind.InvalidMessage, invalid, response: null, SecretScrubber.None);
        }

        var (account, server) = await LoadAccountAsync(tenantId, email.AccountId, ct);
        if (account is null)
        {
            return email.AccountId is null
                ? await FailAsync(entry, SendFailureKind.NoDefaultAccount, NoDefaultAccountMessage, null, SecretScrubber.None)
                : await FailAsync(entry, SendFailureKind.AccountNotFound, AccountNotFoundMessage, null, SecretScrubber.None);
        }
        entry.EmailAccountId = account.Id;
        entry.FromAddress = account.EmailAddress;
        if (server is null)
        {
            return await FailAsync(entry, SendFailureKind.NoMailServer,
                $"The account \"{account.DisplayName}\" ({account.EmailAddress}) has no mail server because its server was deleted: "
                + "edit the account and choose a server.", null, SecretScrubber.None);
        }

        string? password = null;
        var username = string.IsNullOrWhiteSpace(server.SmtpUsername) ? null : server.SmtpUsername.Trim();
        MailCredential? credential = null;
        if (username is not null && server.SignInMethod == SignInMethod.OAuth2)
        {
            try
            {
                credential = await credentials.ForRecordAsync(tenantId, OAuthTargetKind.MailServer, server.Id, username, ct);
            }
            catch (OAuthReconnectNeededException dead)
            {
                return await FailAsync(entry, SendFailureKind.ReconnectNeeded,
                    $"Reconnect needed: {dead.ProviderDisplayName} no longer accepts the sign-in of the server \"{server.Name}\" ({dead.Reason}). Use Reconnect on its card to sign in again.{SendFailures.NothingSent}",
                    null, SecretScrubber.None);
            }
        }
        else if (username is not null && server.SmtpPasswordProtected is not null)
        {
            try
            {
                password = secrets.Unprotect(SecretKind.SmtpPassword, server.SmtpPasswordProtected);
            }
            catch (CryptographicException)
            {
                return await FailAsync(entry, SendFailureKind.PasswordUnreadable,
                    $"The stored SMTP password of the server \"{server.Name}\" can no longer be decrypted: enter it again in the server's settings.",
                    null, SecretScrubber.None);
            }
        }

        var message = BuildMessage(account, email);
        entry.MessageId = message.MessageId;
        credential ??= username is null ? null : new PasswordCredential(username, password ?? "");
        return await TransmitAsync(entry, server, credential, message, ct);
    }

    private async Task<(EmailAccount? Account, MailServer? Server)> LoadAccountAsync(Guid tenantId, int? accountId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var accounts = db.EmailAccounts.AsNoTracking().Include(a => a.MailServer).Where(a => a.TenantId == tenantId);
        var account = accountId is { } id
            ? await accounts.FirstOrDefaultAsync(a => a.Id == id, ct)
            : await accounts.FirstOrDefaultAsync(a => a.IsDefault, ct);
        // The server must belong to the same tenant; the query filter already ensures it, this keeps it explicit.
        var server = account?.MailServer is { } s && s.TenantId == tenantId ? s : null;
        return (account, server);
    }

    private MimeMessage BuildMessage(EmailAccount account, OutgoingEmail email)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(account.DisplayName, account.EmailAddress));
        foreach (var recipient in email.To)
        {
            message.To.Add(MailboxAddress.Parse(recipient.Trim()));
        }
        message.Subject = email.Subject;
        message.Date = clock.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(account.EmailAddress[(account.EmailAddress.LastIndexOf('@') + 1)..]);
        message.Body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody }.ToMessageBody();
        return message;
    }

    /// <summary>Connects, signs in and sends through the connection layer; what sending adds is the message itself.</summary>
    private async Task<SendResult> TransmitAsync(
        EmailLogEntry entry, MailServer server, MailCredential? credential, MimeMessage message, CancellationToken ct)
    {
        var endpoint = new MailEndpoint(ConnectionProtocol.Smtp, server.SmtpHost, server.SmtpPort, server.UseTls,
            server.PinnedCertificateSha256, server.Name);
        using var connection = new SmtpMailConnection(endpoint, credential, MailTimeLimit.WholeSession(options.Value.Timeout, clock, ct));

        string response;
        try
        {
            await connection.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                await DisconnectAsync(connection, server);
                var refused = SendFailures.From(refusal);
                return await FailAsync(entry, refused.Kind, refused.Message, refused.Response, connection.Scrubber);
            }
            connection.BeginWork("while sending");
            response = await connection.Client.SendAsync(message, connection.Token);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await FailAsync(entry, SendFailureKind.Cancelled, CancelledMessage, null, connection.Scrubber);
            throw;
        }
        catch (Exception ex) when (SendFailures.Classify(connection, ex) is { } failure)
        {
            return await FailAsync(entry, failure.Kind, failure.Message, failure.Response, connection.Scrubber);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Unexpected error sending through mail server {ServerId} for tenant {TenantId}", server.Id, entry.TenantId);
            await FailAsync(entry, null, UnexpectedMessage, null, connection.Scrubber);
            throw;
        }

        await DisconnectAsync(connection, server);
        entry.Status = EmailLogStatus.Sent;
        entry.ServerResponse = Truncate(connection.Scrubber.Scrub(response), FieldRules.ErrorTextMaxLength);
        var id = await WriteLogAsync(entry);
        logger.LogInformation(
            "Email {MessageId} sent from account {AccountId} of tenant {TenantId} through mail server {ServerId}",
            entry.MessageId, entry.EmailAccountId, entry.TenantId, server.Id);
        return new SendResult
        {
            Succeeded = true,
            ServerResponse = entry.ServerResponse,
            MessageId = entry.MessageId,
            AccountId = entry.EmailAccountId,
            FromAddress = entry.FromAddress,
            LogEntryId = id,
        };
    }

    /// <summary>QUIT politely, with its own few seconds: the message is already accepted, so a failure here is only worth a warning.</summary>
    private async Task DisconnectAsync(MailConnection connection, MailServer server)
    {
        if (await connection.QuitAsync(TimeSpan.FromSeconds(5)) is { } problem)
        {
            logger.LogWarning("QUIT to mail server {ServerId} failed after the message was accepted: {Error}", server.Id, problem);
        }
    }

    private async Task<SendResult> FailAsync(
        EmailLogEntry entry, SendFailureKind? kind, string message, string? response, SecretScrubber scrubber)
    {
        entry.Status = EmailLogStatus.Failed;
        entry.Error = Truncate(scrubber.Scrub(message), FieldRules.ErrorTextMaxLength);
        entry.ServerResponse = Truncate(scrubber.Scrub(response), FieldRules.ErrorTextMaxLength);
        var id = await WriteLogAsync(entry);
        logger.LogWarning(
            "Email from account {AccountId} of tenant {TenantId} not sent ({FailureKind}): {Error}",
            entry.EmailAccountId, entry.TenantId, kind, entry.Error);
        return new SendResult
        {
            Succeeded = false,
            ErrorMessage = entry.Error,
            FailureKind = kind,
            ServerResponse = entry.ServerResponse,
            MessageId = entry.MessageId,
            AccountId = entry.EmailAccountId,
            FromAddress = string.IsNullOrEmpty(entry.FromAddress) ? null : entry.FromAddress,
            LogEntryId = id,
        };
    }

    /// <summary>
    /// Written with its own token: a send the caller cancelled is still an attempt, and its row must not be lost.
    /// </summary>
    private async Task<long> WriteLogAsync(EmailLogEntry entry)
    {
        entry.Recipients = Truncate(entry.Recipients, FieldRules.AddressListMaxLength)!;
        entry.Subject = Truncate(entry.Subject, FieldRules.HeaderTextMaxLength)!;
        entry.FromAddress = Truncate(entry.FromAddress, FieldRules.EmailMaxLength)!;
        entry.MessageId = Truncate(entry.MessageId, FieldRules.HeaderLineMaxLength);
        await using var db = await dbFactory.CreateForTenantAsync(entry.TenantId, CancellationToken.None);
        db.EmailLog.Add(entry);
        await db.SaveChangesAsync(CancellationToken.None);
        return entry.Id;
    }

    private static string? Truncate(string? text, int max) =>
        text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
