using System.Text.RegularExpressions;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Connections;

/// <summary>
/// "Trust this certificate" for a saved server or account: pins the SHA-256 fingerprint Test Connection showed,
/// so later connections accept exactly that certificate. The dialogs of unsaved entries set the pin on their input instead.
/// </summary>
public sealed partial class CertificatePinService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    TimeProvider clock,
    ILogger<CertificatePinService> logger)
{
    public const string InvalidFingerprintMessage = "A SHA-256 fingerprint has 64 hexadecimal characters.";

    public async Task<Result<bool>> PinServerCertificateAsync(int serverId, string sha256, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        if (Normalize(sha256) is not { } fingerprint)
        {
            return Result<bool>.Invalid(nameof(MailServerInput.PinnedCertificateSha256), InvalidFingerprintMessage);
        }
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.MailServers.Where(s => s.Id == serverId && s.TenantId == tenantId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.PinnedCertificateSha256, fingerprint).SetProperty(s => s.UpdatedAt, now), ct);
        if (updated == 0)
        {
            return Result<bool>.NotFound(MailServerService.NotFoundMessage);
        }
        logger.LogInformation("Mail server {ServerId} of tenant {TenantId} now trusts the certificate {Sha256}", serverId, tenantId, fingerprint);
        return Result<bool>.Ok(true);
    }

    public async Task<Result<bool>> PinAccountCertificateAsync(int accountId, string sha256, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        if (Normalize(sha256) is not { } fingerprint)
        {
            return Result<bool>.Invalid(nameof(EmailAccountInput.ImapPinnedCertificateSha256), InvalidFingerprintMessage);
        }
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == tenantId)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.ImapPinnedCertificateSha256, fingerprint).SetProperty(a => a.UpdatedAt, now), ct);
        if (updated == 0)
        {
            return Result<bool>.NotFound(EmailAccountService.NotFoundMessage);
        }
        logger.LogInformation("Email account {AccountId} of tenant {TenantId} now trusts the IMAP certificate {Sha256}", accountId, tenantId, fingerprint);
        return Result<bool>.Ok(true);
    }

    /// <summary>Upper-case hex without separators ("AB:CD …" as browsers show it is accepted), or null when not a SHA-256.</summary>
    public static string? Normalize(string? sha256)
    {
        if (string.IsNullOrWhiteSpace(sha256))
        {
            return null;
        }
        var hex = Separators().Replace(sha256, "").ToUpperInvariant();
        return Sha256Hex().IsMatch(hex) ? hex : null;
    }

    [GeneratedRegex(@"[\s:\-]")]
    private static partial Regex Separators();

    [GeneratedRegex("^[0-9A-F]{64}$")]
    private static partial Regex Sha256Hex();
}
