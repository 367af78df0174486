using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Common;

/// <summary>
/// The subscribers of one kind of event, each for one tenant: an event reaches only its tenant's subscribers, one after
/// another, and a failing subscriber (a disconnected circuit) is logged and skipped so the others still hear it.
/// </summary>
/// <param name="subject">What the subscribers hear, for the log: "sync progress", "alert".</param>
internal sealed class TenantSubscribers<TEvent>(ILogger logger, string subject, Func<TEvent, Guid> tenantOf)
{
    private readonly Lock gate = new();
    private Subscription[] subscribers = [];

    public int Count => Volatile.Read(ref subscribers).Length;

    public IDisposable Subscribe(Guid tenantId, Func<TEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, tenantId, handler);
        lock (gate)
        {
            subscribers = [.. subscribers, subscription];
        }
        return subscription;
    }

    public async Task PublishAsync(TEvent e)
    {
        var tenantId = tenantOf(e);
        foreach (var subscription in Volatile.Read(ref subscribers))
        {
            if (subscription.TenantId != tenantId)
            {
                continue;
            }
            try
            {
                await subscription.Handler(e);
            }
            catch (Exception ex)
            {
                // One broken circuit (disconnected, disposed renderer) must not stop the work or the other pages.
                logger.LogWarning(ex, "A {Subject} subscriber of tenant {TenantId} failed on {Event}", subject, tenantId, e);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            subscribers = subscribers.Where(s => !ReferenceEquals(s, subscription)).ToArray();
        }
    }

    private sealed class Subscription(TenantSubscribers<TEvent> owner, Guid tenantId, Func<TEvent, Task> handler) : IDisposable
    {
        public Guid TenantId { get; } = tenantId;
        public Func<TEvent, Task> Handler { get; } = handler;

        public void Dispose() => owner.Remove(this);
    }
}
