using System.Security.Claims;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;

namespace EmailSettings.Portal.Tenancy;

/// <summary>
/// The caller's tenant as the sign-in cookie states it. Reads the Blazor authentication state rather than
/// HttpContext, because inside a circuit there is no current request (IHttpContextAccessor is null or stale there).
/// The state is read on every call, so a circuit whose sign-in is revalidated away loses access at once.
/// </summary>
internal sealed class ClaimsTenantContext(AuthenticationStateProvider authenticationState) : ITenantContext
{
    public Guid? TenantId => CurrentUser().GetTenantId();

    public bool IsTenantAdmin => CurrentUser().IsTenantAdmin();

    public string? UserId => CurrentUser()?.FindFirstValue(ClaimTypes.NameIdentifier);

    private ClaimsPrincipal? CurrentUser()
    {
        // Blazor Server's provider hands out an already completed task (set from the request, then by revalidation).
        // Anything still pending is treated as nobody: Core services then refuse, they never guess a tenant.
        var state = authenticationState.GetAuthenticationStateAsync();
        return state.IsCompletedSuccessfully ? state.Result.User : null;
    }
}
