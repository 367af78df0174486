using Microsoft.AspNetCore.Identity;

namespace EmailSettings.Core.Identity;

/// <summary>A portal user; every user belongs to exactly one tenant.</summary>
public sealed class PortalUser : IdentityUser
{
    public Guid TenantId { get; set; }
}
