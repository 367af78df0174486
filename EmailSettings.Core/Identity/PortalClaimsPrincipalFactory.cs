using System.Security.Claims;
using EmailSettings.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Identity;

/// <summary>Puts the user's tenant (id and name) into the principal at sign-in, next to the name and roles.</summary>
public sealed class PortalClaimsPrincipalFactory(
    UserManager<PortalUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<IdentityOptions> options,
    IDbContextFactory<EmailSettingsDbContext> dbFactory)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(userManager, roleManager, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        await using var db = await dbFactory.CreateDbContextAsync();
        var tenantName = await db.Tenants.Where(t => t.Id == user.TenantId).Select(t => t.Name).FirstOrDefaultAsync()
            ?? throw new InvalidOperationException($"User {user.Id} belongs to tenant {user.TenantId}, which does not exist.");
        identity.AddClaim(new Claim(PortalClaimTypes.TenantId, user.TenantId.ToString()));
        identity.AddClaim(new Claim(PortalClaimTypes.TenantName, tenantName));
        return identity;
    }
}
