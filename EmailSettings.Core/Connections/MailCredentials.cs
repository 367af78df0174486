using EmailSettings.Core.Data;
using EmailSettings.Core.OAuth;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Chooses the credential of a stored mail server or email account for its sign-in method: the password, or an OAuth2
/// token of its grant that renews itself through <see cref="OAuthTokenService"/>. Test, sync and send all come here,
/// so the three sign in the same way.
/// </summary>
public sealed class MailCredentials(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    OAuthTokenService tokens,
    OAuthProviderCatalog catalog)
{
    /// <summary>An OAuth2 credential for <paramref name="username"/> with the tokens of <paramref name="grantId"/>.</summary>
    internal OAuth2Credential OAuth2(Guid tenantId, Guid grantId, string providerName, string username) =>
        new(username, catalog.DisplayNameOf(providerName),
            ct => tokens.GetAccessTokenAsync(tenantId, grantId, ct),
            (rejected, ct) => tokens.RenewAsync(tenantId, grantId, rejected, ct));

    /// <summary>
    /// The credential of a record's attached grant. Throws <see cref="OAuthReconnectNeededException"/> at once, before
    /// any server or provider is contacted, when the record has no grant or its grant is already dead.
    /// </summary>
    internal async Task<OAuth2Credential> ForRecordAsync(Guid tenantId, OAuthTargetKind kind, int recordId, string username, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var grants = db.OAuthGrants.AsNoTracking().Where(g => g.TenantId == tenantId);
        var grant = await (kind == OAuthTargetKind.EmailAccount
                ? grants.Where(g => g.EmailAccountId == recordId)
                : grants.Where(g => g.MailServerId == recordId))
            .Select(g => new { g.Id, g.ProviderName, g.Status, g.Problem })
            .FirstOrDefaultAsync(ct);
        if (grant is null)
        {
            throw new OAuthReconnectNeededException("The provider", "nobody has signed in for it yet");
        }
        if (grant.Status == OAuthGrantStatus.ReconnectNeeded)
        {
            throw new OAuthReconnectNeededException(catalog.DisplayNameOf(grant.ProviderName), grant.Problem ?? "the sign-in was refused earlier");
        }
        return OAuth2(tenantId, grant.Id, grant.ProviderName, username);
    }
}
