using EmailSettings.Core.Tenancy;

namespace EmailSettings.Core.Alerts;

/// <summary>What pages may know about account problems: hear them as they happen, read an account's. Limited to the caller's tenant.</summary>
public sealed class AccountAlertService(ITenantContext tenant, AccountAlerts alerts, AccountAlertNotifier notifier)
{
    /// <summary>
    /// Hears every alert change of the caller's tenant (raised, cleared, paused) until the handle is disposed.
    /// Pages subscribe here, never to the notifier with a tenant id of their own choosing.
    /// </summary>
    public IDisposable Subscribe(Func<AccountAlertEvent, Task> handler) => notifier.Subscribe(tenant.RequireTenantAdmin(), handler);

    /// <summary>The announced problems of the account and its pause, or null when the account is not in the caller's tenant.</summary>
    public Task<AccountHealth?> GetHealthAsync(int accountId, CancellationToken ct = default) =>
        alerts.GetHealthAsync(tenant.RequireTenantAdmin(), accountId, ct);
}
