using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Tenancy;

/// <summary>
/// The tenant a DI scope acts for when nobody is signed in: a Quartz job or worker syncing one account acts for
/// that account's own tenant, chosen explicitly, never "all tenants" and never a default.
/// </summary>
public sealed class ExplicitTenant
{
    private ITenantContext? context;
    private bool read;

    /// <summary>The explicitly chosen tenant, or null when the scope acts for its signed-in caller.</summary>
    public ITenantContext? Context
    {
        get
        {
            read = true;
            return context;
        }
    }

    /// <summary>Makes the scope act for <paramref name="tenant"/>. Only before anything in the scope asked for its tenant.</summary>
    public void ActAs(ITenantContext tenant)
    {
        if (read || context is not null)
        {
            throw new InvalidOperationException("A scope's tenant must be chosen once, before anything in the scope resolves ITenantContext.");
        }
        context = tenant;
    }
}

public static class TenantScopes
{
    /// <summary>
    /// Registers <see cref="ITenantContext"/> for a host: the scope's <see cref="ExplicitTenant"/> when one was chosen
    /// (background work), otherwise <typeparamref name="TCaller"/> (the signed-in user, or a test's caller).
    /// </summary>
    public static IHostApplicationBuilder AddTenantContext<TCaller>(this IHostApplicationBuilder builder) where TCaller : class, ITenantContext
    {
        var services = builder.Services;
        services.TryAddScoped<ExplicitTenant>();
        services.TryAddScoped<TCaller>();
        services.AddScoped<ITenantContext>(sp => sp.GetRequiredService<ExplicitTenant>().Context ?? sp.GetRequiredService<TCaller>());
        return builder;
    }

    /// <summary>
    /// A new scope whose Core services act for <paramref name="tenantId"/> (as its administrator unless said otherwise),
    /// for background work on one tenant's own data. Dispose it when done.
    /// </summary>
    public static AsyncServiceScope CreateScopeForTenant(this IServiceScopeFactory scopes, Guid tenantId, bool isTenantAdmin = true)
    {
        var scope = scopes.CreateAsyncScope();
        var explicitTenant = scope.ServiceProvider.GetService<ExplicitTenant>()
            ?? throw new InvalidOperationException("Register the tenant context with builder.AddTenantContext<T>() to create tenant scopes.");
        explicitTenant.ActAs(new FixedTenantContext(tenantId, isTenantAdmin));
        return scope;
    }

    /// <inheritdoc cref="CreateScopeForTenant(IServiceScopeFactory, Guid, bool)"/>
    public static AsyncServiceScope CreateScopeForTenant(this IServiceProvider services, Guid tenantId, bool isTenantAdmin = true) =>
        services.GetRequiredService<IServiceScopeFactory>().CreateScopeForTenant(tenantId, isTenantAdmin);
}
