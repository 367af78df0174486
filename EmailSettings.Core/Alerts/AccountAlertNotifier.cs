using EmailSettings.Core.Common;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Alerts;

/// <summary>
/// Carries alert changes to the open pages of the account's tenant. Its members are internal: they take a tenant id on
/// trust, so pages reach them only through the tenant-scoped <see cref="AccountAlertService"/>.
/// </summary>
public sealed class AccountAlertNotifier(ILogger<AccountAlertNotifier> logger)
{
    private readonly TenantSubscribers<AccountAlertEvent> subscribers = new(logger, "alert", e => e.TenantId);

    /// <summary>Number of live subscriptions, to prove components unsubscribe.</summary>
    internal int SubscriberCount => subscribers.Count;

    internal IDisposable Subscribe(Guid tenantId, Func<AccountAlertEvent, Task> handler) => subscribers.Subscribe(tenantId, handler);

    internal Task PublishAsync(AccountAlertEvent e) => subscribers.PublishAsync(e);
}
