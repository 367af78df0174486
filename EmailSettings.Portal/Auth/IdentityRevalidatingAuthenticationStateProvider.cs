using System.Security.Claims;
using EmailSettings.Core.Identity;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace EmailSettings.Portal.Auth;

/// <summary>
/// Re-checks a connected circuit's user against the database every <see cref="PortalAuthOptions.RevalidationInterval"/>
/// (one minute unless configured): a user who was deleted, or whose security stamp changed (password change or reset, a
/// role added or removed), is signed out of open circuits too, not only on the next request. The Core services read the
/// tenant and role from this state, so a removed administrator loses access to an open page within that interval.
/// </summary>
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopeFactory,
    IOptions<IdentityOptions> options,
    IOptions<PortalAuthOptions> authOptions)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => authOptions.Value.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await ValidateSecurityStampAsync(users, authenticationState.User);
    }

    /// <summary>
    /// Still the same user with the same rights: the user exists, the security stamp is unchanged, and the tenant and
    /// the TenantAdmin role in the circuit's claims are still what the database says. Identity does not change the
    /// stamp when a role is added or removed, so the role is compared itself.
    /// </summary>
    private async Task<bool> ValidateSecurityStampAsync(UserManager<PortalUser> users, ClaimsPrincipal principal)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return false;
        }
        if (principal.GetTenantId() != user.TenantId)
        {
            return false;
        }
        if (principal.IsInRole(Roles.TenantAdmin) != await users.IsInRoleAsync(user, Roles.TenantAdmin))
        {
            return false;
        }
        if (!users.SupportsUserSecurityStamp)
        {
            return true;
        }
        var principalStamp = principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
        var userStamp = await users.GetSecurityStampAsync(user);
        return principalStamp == userStamp;
    }
}
