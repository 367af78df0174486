using EmailSettings.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.OAuth;

/// <summary>
/// Attaches a completed sign-in to its record and reads what the page may know about grants. Used by the mail server
/// and email account services inside their own transactions, so a grant is attached exactly when the record is saved.
/// </summary>
public sealed class OAuthGrantStore(OAuthProviderCatalog catalog, OAuthTokenService tokens)
{
    public const string SignInRequiredMessage = "Sign in with the OAuth2 provider before saving.";
    public const string SignInExpiredMessage = "The sign-in has expired or belongs to another record. Sign in again.";
    public const string OtherProviderMessage = "The sign-in was made with another provider. Sign in again with the chosen one.";

    /// <summary>
    /// Makes the pending grant <paramref name="grantId"/> the record's one grant and deletes any other (a dead one a
    /// Reconnect replaces). Returns an error for the form, or the replaced grant's state.
    /// </summary>
    internal async Task<(string? Error, bool ReplacedDeadGrant)> AttachAsync(EmailSettingsDbContext db, Guid tenantId, Guid grantId,
        OAuthTargetKind kind, int recordId, bool isNewRecord, string? providerName, DateTime now, CancellationToken ct)
    {
        var grant = await db.OAuthGrants.FirstOrDefaultAsync(g => g.Id == grantId && g.TenantId == tenantId && g.TargetKind == kind, ct);
        if (grant is null || grant.PendingUntil is not { } pendingUntil || pendingUntil <= now
            || grant.IntendedRecordId != (isNewRecord ? null : recordId))
        {
            return (SignInExpiredMessage, false);
        }
        if (!string.Equals(grant.ProviderName, providerName, StringComparison.OrdinalIgnoreCase))
        {
            return (OtherProviderMessage, false);
        }
        var others = ForRecord(db, tenantId, kind, recordId).Where(g => g.Id != grantId);
        var replacedDead = await others.AnyAsync(g => g.Status == OAuthGrantStatus.ReconnectNeeded, ct);
        await others.ExecuteDeleteAsync(ct);
        grant.PendingUntil = null;
        grant.UpdatedAt = now;
        if (kind == OAuthTargetKind.MailServer)
        {
            grant.MailServerId = recordId;
        }
        else
        {
            grant.EmailAccountId = recordId;
        }
        return (null, replacedDead);
    }

    /// <summary>Removes the record's grant: the record went back to a password.</summary>
    internal static Task<int> DetachAllAsync(EmailSettingsDbContext db, Guid tenantId, OAuthTargetKind kind, int recordId, CancellationToken ct) =>
        ForRecord(db, tenantId, kind, recordId).ExecuteDeleteAsync(ct);

    /// <summary>The attached grants of the given records, by record id.</summary>
    internal async Task<Dictionary<int, OAuthGrantInfo>> InfoAsync(EmailSettingsDbContext db, Guid tenantId, OAuthTargetKind kind,
        IReadOnlyCollection<int> recordIds, CancellationToken ct)
    {
        if (recordIds.Count == 0)
        {
            return [];
        }
        var grants = await db.OAuthGrants.AsNoTracking()
            .Where(g => g.TenantId == tenantId && g.PendingUntil == null)
            .Where(kind == OAuthTargetKind.MailServer
                ? g => g.MailServerId != null && recordIds.Contains(g.MailServerId.Value)
                : g => g.EmailAccountId != null && recordIds.Contains(g.EmailAccountId.Value))
            .ToListAsync(ct);
        return grants.ToDictionary(g => (kind == OAuthTargetKind.MailServer ? g.MailServerId : g.EmailAccountId)!.Value, tokens.Describe);
    }

    /// <summary>Tells the problem sinks that a Reconnect brought the record back.</summary>
    internal Task ReconnectedAsync(Guid tenantId, OAuthTargetKind kind, int recordId, string recordName, string providerName, DateTime now) =>
        tokens.ReconnectedAsync(new OAuthGrantProblem(tenantId, kind, recordId, recordName, providerName, catalog.DisplayNameOf(providerName),
            "signed in again", now));

    private static IQueryable<OAuthGrant> ForRecord(EmailSettingsDbContext db, Guid tenantId, OAuthTargetKind kind, int recordId) =>
        kind == OAuthTargetKind.MailServer
            ? db.OAuthGrants.Where(g => g.TenantId == tenantId && g.MailServerId == recordId)
            : db.OAuthGrants.Where(g => g.TenantId == tenantId && g.EmailAccountId == recordId);
}
