namespace EmailSettings.Core.Tenancy;

/// <summary>A tenant context with fixed values: for background jobs acting for one tenant, and for tests.</summary>
public sealed class FixedTenantContext(Guid? tenantId, bool isTenantAdmin = true) : ITenantContext
{
    public Guid? TenantId { get; } = tenantId;
    public bool IsTenantAdmin { get; } = isTenantAdmin;
}
