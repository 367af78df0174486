using System.Net.Sockets;
using System.Security.Cryptography;
using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
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
    TimeProvider clock,
    IOptions<SendingOptions> options,
    ILogger<SmtpEmailSender> logger) : IEmailSender
{
    public const string NoDefaultAccountMessage = "No default email account is set: mark an account as default or choose one.";
    public const string AccountNotFoundMessage = "The selected email account does not exist. Choose another account.";
    public const string CancelledMessage = "The send was cancelled before the server accepted the message.";
    public const string UnexpectedMessage = "An unexpected error stopped the send. Nothing was sent; the portal's log has the details.";

    private const string PasswordMask = "********";

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
            return await FailAsync(entry, SendFailureKind.InvalidMessage, invalid, response: null, secret: null);
        }

        var (account, server) = await LoadAccountAsync(tenantId, email.AccountId, ct);
        if (account is null)
        {
            return email.AccountId is null
                ? await FailAsync(entry, SendFailureKind.NoDefaultAccount, NoDefaultAccountMessage, null, null)
                : await FailAsync(entry, SendFailureKind.AccountNotFound, AccountNotFoundMessage, null, null);
        }
        entry.EmailAccountId = account.Id;
        entry.FromAddress = account.EmailAddress;
        if (server is null)
        {
            return await FailAsync(entry, SendFailureKind.NoMailServer,
                $"The account \"{account.DisplayName}\" ({account.EmailAddress}) has no mail server because its server was deleted: "
                + "edit the account and choose a server.", null, null);
        }

        string? password = null;
        var username = string.IsNullOrWhiteSpace(server.SmtpUsername) ? null : server.SmtpUsername.Trim();
        if (username is not null && server.SmtpPasswordProtected is not null)
        {
            try
            {
                password = secrets.Unprotect(SecretKind.SmtpPassword, server.SmtpPasswordProtected);
            }
            catch (CryptographicException)
            {
                return await FailAsync(entry, SendFailureKind.PasswordUnreadable,
                    $"The stored SMTP password of the server \"{server.Name}\" can no longer be decrypted: enter it again in the server's settings.",
                    null, null);
            }
        }

        var message = BuildMessage(account, email);
        entry.MessageId = message.MessageId;
        return await TransmitAsync(entry, server, username, password, message, ct);
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

    private async Task<SendResult> TransmitAsync(
        EmailLogEntry entry, MailServer server, string? username, string? password, MimeMessage message, CancellationToken ct)
    {
        var limit = options.Value.Timeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var check = TlsPolicy.CreateCertificateCheck(server.PinnedCertificateSha256);
        var security = TlsPolicy.ForSmtp(server.SmtpPort, server.UseTls);
        using var client = new SmtpClient
        {
            Timeout = (int)limit.TotalMilliseconds,
            ServerCertificateValidationCallback = check.Validate,
        };

        var phase = Phase.Connecting;
        string response;
        try
        {
            await client.ConnectAsync(server.SmtpHost, server.SmtpPort, security, timeout.Token);
            if (username is not null)
            {
                phase = Phase.Authenticating;
                await client.AuthenticateAsync(username, password ?? "", timeout.Token);
            }
            phase = Phase.Sending;
            response = await client.SendAsync(message, timeout.Token);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await FailAsync(entry, SendFailureKind.Cancelled, CancelledMessage, null, password);
            throw;
        }
        catch (Exception ex) when (Classify(ex, phase, server, username, security, check, limit, timeout.IsCancellationRequested) is { } failure)
        {
            return await FailAsync(entry, failure.Kind, failure.Message, failure.Response, password);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Unexpected error sending through mail server {ServerId} for tenant {TenantId}", server.Id, entry.TenantId);
            await FailAsync(entry, null, UnexpectedMessage, null, password);
            throw;
        }

        await DisconnectAsync(client, server);
        entry.Status = EmailLogStatus.Sent;
        entry.ServerResponse = Truncate(Scrub(response, password), FieldRules.ErrorTextMaxLength);
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

    /// <summary>QUIT politely; the message is already accepted, so a failure here is only worth a warning.</summary>
    private async Task DisconnectAsync(SmtpClient client, MailServer server)
    {
        using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.DisconnectAsync(true, quit.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or MailKit.ProtocolException or SmtpCommandException)
        {
            logger.LogWarning("QUIT to mail server {ServerId} failed after the message was accepted: {Error}", server.Id, ex.Message);
        }
    }

    private enum Phase
    {
        Connecting,
        Authenticating,
        Sending,
    }

    private sealed record Failure(SendFailureKind Kind, string Message, string? Response);

    /// <summary>Turns what MailKit and the network throw into a message an admin can act on; null when unexpected.</summary>
    private static Failure? Classify(
        Exception ex, Phase phase, MailServer server, string? username, SecureSocketOptions security,
        CertificateCheck check, TimeSpan limit, bool timedOut)
    {
        var where = $"{server.SmtpHost}:{server.SmtpPort}";
        switch (ex)
        {
            case OperationCanceledException when timedOut:
            case TimeoutException:
            case IOException { InnerException: TimeoutException }:
                return new(SendFailureKind.Timeout,
                    $"The mail server {where} did not answer within {limit.TotalSeconds:0} seconds{PhaseText(phase)}.{Outcome(phase)}", null);

            case SslHandshakeException when check.Presented is { } cert:
                return new(SendFailureKind.Certificate,
                    $"The certificate of {where} is not trusted (subject {cert.Subject}, issuer {cert.Issuer}, SHA-256 {cert.Sha256}). "
                    + $"Open the server \"{server.Name}\", run Test Connection and trust the certificate if it is the right one. Nothing was sent.",
                    null);

            case SslHandshakeException handshake:
                return new(SendFailureKind.Tls,
                    $"The TLS handshake with {where} ({TlsPolicy.Describe(security)}) failed: {Sentence((handshake.InnerException ?? handshake).Message)} "
                    + "Check the port and the Use TLS/STARTTLS setting. Nothing was sent.", null);

            case NotSupportedException when phase == Phase.Connecting:
                return new(SendFailureKind.Tls,
                    $"The mail server {where} does not offer STARTTLS. Turn off Use TLS/STARTTLS only if the server really has no TLS. Nothing was sent.",
                    null);

            case AuthenticationException auth:
                return new(SendFailureKind.Authentication,
                    $"The mail server {where} refused the login for user \"{username}\": {Sentence(auth.Message)} "
                    + $"Check the SMTP Username and SMTP Password of the server \"{server.Name}\". Nothing was sent.",
                    auth.Message);

            case NotSupportedException when phase == Phase.Authenticating:
                return new(SendFailureKind.Authentication,
                    $"The mail server {where} does not offer login (AUTH) on this connection, but an SMTP Username is set. Nothing was sent.",
                    null);

            case SmtpCommandException command:
                var reply = $"{(int)command.StatusCode} {command.Message}".Trim();
                var said = reply.TrimEnd('.');
                return command.ErrorCode switch
                {
                    SmtpErrorCode.RecipientNotAccepted => new(SendFailureKind.RecipientRejected,
                        $"The mail server refused the recipient {command.Mailbox?.Address}: {said}. Nothing was sent.", reply),
                    SmtpErrorCode.SenderNotAccepted => new(SendFailureKind.SenderRejected,
                        $"The mail server refused the sender address {command.Mailbox?.Address}: {said}. Nothing was sent.", reply),
                    SmtpErrorCode.MessageNotAccepted => new(SendFailureKind.MessageRejected,
                        $"The mail server refused the message: {said}. Nothing was sent.", reply),
                    _ => new(SendFailureKind.Protocol, $"The mail server answered with an error: {said}. Nothing was sent.", reply),
                };

            case SmtpProtocolException protocol:
                return new(SendFailureKind.Protocol,
                    $"The mail server {where} broke off the conversation{PhaseText(phase)}: {Sentence(protocol.Message)}{Outcome(phase)}", null);

            case SocketException socket:
                return new(SendFailureKind.Connection, socket.SocketErrorCode switch
                {
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
                        $"The SMTP host \"{server.SmtpHost}\" could not be found. Check the SMTP Host of the server \"{server.Name}\".",
                    SocketError.ConnectionRefused =>
                        $"The mail server {where} refused the connection. Check the SMTP Host and SMTP Port of the server \"{server.Name}\".",
                    _ => $"Could not connect to the mail server {where}: {Sentence(socket.Message)}",
                }, null);

            case IOException io:
                return new(SendFailureKind.Connection,
                    $"The connection to the mail server {where} was lost{PhaseText(phase)}: {Sentence(io.Message)}{Outcome(phase)}", null);

            case ServiceNotConnectedException or ServiceNotAuthenticatedException:
                return new(SendFailureKind.Protocol,
                    $"The mail server {where} ended the session{PhaseText(phase)}: {Sentence(ex.Message)}{Outcome(phase)}", null);

            default:
                return null;
        }
    }

    private static string Sentence(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length == 0 || trimmed.EndsWith('.') || trimmed.EndsWith('!') || trimmed.EndsWith('?') ? trimmed : trimmed + ".";
    }

    /// <summary>Once DATA has started, a dropped connection leaves it open whether the server kept the message.</summary>
    private static string Outcome(Phase phase) => phase == Phase.Sending
        ? " The server may or may not have accepted the message; check with the recipient before sending again."
        : " Nothing was sent.";

    private static string PhaseText(Phase phase) => phase switch
    {
        Phase.Connecting => " while connecting",
        Phase.Authenticating => " while logging in",
        _ => " while sending",
    };

    private async Task<SendResult> FailAsync(
        EmailLogEntry entry, SendFailureKind? kind, string message, string? response, string? secret)
    {
        entry.Status = EmailLogStatus.Failed;
        entry.Error = Truncate(Scrub(message, secret), FieldRules.ErrorTextMaxLength);
        entry.ServerResponse = Truncate(Scrub(response, secret), FieldRules.ErrorTextMaxLength);
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

    /// <summary>Servers sometimes echo what they were sent; a password must never reach the log or the admin's screen.</summary>
    internal static string? Scrub(string? text, string? secret) =>
        text is null || string.IsNullOrEmpty(secret) ? text : text.Replace(secret, PasswordMask, StringComparison.Ordinal);

    private static string? Truncate(string? text, int max) =>
        text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
