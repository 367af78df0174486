namespace EmailSettings.Core.Identity;

/// <summary>The portal's roles. A user belongs to exactly one tenant, so a role always applies to that tenant.</summary>
public static class Roles
{
    /// <summary>Manages the tenant's email settings: servers, accounts, connection tests, sync and messages.</summary>
    public const string TenantAdmin = "TenantAdmin";
}

/// <summary>Claims the portal adds to the sign-in cookie, next to Identity's own.</summary>
public static class PortalClaimTypes
{
    /// <summary>The id of the tenant the user belongs to; the only source of the current tenant.</summary>
    public const string TenantId = "emailsettings/tenant_id";

    /// <summary>The tenant's display name, shown in the app bar.</summary>
    public const string TenantName = "emailsettings/tenant_name";
}

public static class TenantClaimsExtensions
{
    /// <summary>The signed-in user's tenant, or null for anonymous users and principals without a valid tenant claim.</summary>
    public static Guid? GetTenantId(this System.Security.Claims.ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true && Guid.TryParse(user.FindFirst(PortalClaimTypes.TenantId)?.Value, out var id)
            ? id
            : null;

    /// <summary>True when the user is signed in, has a tenant and holds <see cref="Roles.TenantAdmin"/>.</summary>
    public static bool IsTenantAdmin(this System.Security.Claims.ClaimsPrincipal? user) =>
        user.GetTenantId() is not null && user!.IsInRole(Roles.TenantAdmin);
}
