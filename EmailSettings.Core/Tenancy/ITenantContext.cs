namespace EmailSettings.Core.Tenancy;

/// <summary>
/// Who is calling: the tenant whose data a Core service may touch, and whether the caller administers it.
/// Every Core service asks this before it reads or writes anything.
/// </summary>
public interface ITenantContext
{
    /// <summary>The caller's tenant, or null when nobody is signed in.</summary>
    Guid? TenantId { get; }

    /// <summary>True when the caller holds the tenant administrator role for <see cref="TenantId"/>.</summary>
    bool IsTenantAdmin { get; }

    /// <summary>
    /// The signed-in user's id, or null for background work acting for a tenant. Only what must be bound to a person
    /// (an OAuth sign-in's state) asks for it.
    /// </summary>
    string? UserId => null;
}

public static class TenantContextExtensions
{
    /// <summary>Returns the caller's tenant when the caller administers it; otherwise refuses.</summary>
    public static Guid RequireTenantAdmin(this ITenantContext context)
    {
        if (context.TenantId is not { } tenantId)
        {
            throw new TenantAccessDeniedException("Sign in to manage email settings.");
        }
        if (!context.IsTenantAdmin)
        {
            throw new TenantAccessDeniedException("Only tenant administrators can manage email settings.");
        }
        return tenantId;
    }
}

public sealed class TenantAccessDeniedException(string message) : Exception(message);
