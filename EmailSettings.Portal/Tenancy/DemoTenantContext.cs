using EmailSettings.Core.Tenancy;

namespace EmailSettings.Portal.Tenancy;

/// <summary>Until sign-in exists, every visitor administers the seeded demo tenant.</summary>
internal sealed class DemoTenantContext : ITenantContext
{
    public Guid? TenantId => DemoTenant.Id;
    public bool IsTenantAdmin => true;
}
