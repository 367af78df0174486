using System.Reflection;
using EmailSettings.Core.Data;

namespace EmailSettings.Tests.Core.Tenancy;

/// <summary>
/// The Portal can only pass a tenant id to Core where Core checks it: every other member taking a tenant id is internal,
/// so the Portal's services act for the signed-in caller's tenant (<c>ITenantContext</c>) and nothing else.
/// </summary>
public sealed class CorePublicApiTests
{
    /// <summary>The public methods allowed to take a tenant id, each with why it is safe.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["TenantScopes.CreateScopeForTenant"] = "the named opt-in for background work acting for one tenant; the scope then sees only it",
        ["IEmailAccountChangeListener.AccountSavedAsync"] = "its implementation checks the tenant (SyncTenancyTests)",
        ["IEmailAccountChangeListener.AccountDeletedAsync"] = "its implementation checks the tenant (SyncTenancyTests)",
        ["SyncScheduler.AccountSavedAsync"] = "schedules only an account the tenant owns, unschedules only the tenant's job (SyncTenancyTests)",
        ["SyncScheduler.AccountDeletedAsync"] = "unschedules and cancels only the tenant's own account (SyncTenancyTests)",
        ["IWatcherOwnership.TryAcquireAsync"] = "claims the right to keep an idle connection; reads and changes no tenant data",
        ["IdleWatchers.AccountSavedAsync"] = "stops only the watcher of the tenant's own account (IdleWatchersTests)",
        ["IdleWatchers.AccountDeletedAsync"] = "stops only the watcher of the tenant's own account (IdleWatchersTests)",
        ["TenantAdministration.CreateUserAsync"] = "operator task outside any tenant (create-admin, Development seeding); no page injects it",
        ["TenantAdministration.EnsureTenantAsync"] = "operator task outside any tenant (create-admin, Development seeding); no page injects it",
        ["ConnectionTestSupport.Log"] = "writes a log line; reads and changes no data",
    };

    [Fact]
    public void No_public_Core_method_takes_a_tenant_id_except_the_named_and_checked_ones()
    {
        var takingTenant = typeof(EmailSettingsDbContext).Assembly.GetExportedTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && m.GetParameters().Any(IsTenantId))
                .Select(m => $"{type.Name}.{m.Name}"))
            .Distinct()
            .ToList();

        takingTenant.Except(Allowed.Keys).Should().BeEmpty("a public member taking a tenant id lets a page act for a tenant of its choosing");
        takingTenant.Should().Contain("TenantScopes.CreateScopeForTenant", "the check finds tenant parameters at all");
    }

    private static bool IsTenantId(ParameterInfo p) =>
        (p.ParameterType == typeof(Guid) || p.ParameterType == typeof(Guid?))
        && p.Name!.Contains("tenant", StringComparison.OrdinalIgnoreCase);
}
