using EmailSettings.Core.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.EndToEnd;

/// <summary>
/// Holds the next sync of a tenant at its first event until the test releases it, so a browser test can see the
/// sync icon spin without racing a fast sync. It subscribes to the app's real <see cref="SyncProgressNotifier"/>;
/// the notifier tells subscribers one after another, so arm it after the pages under test have subscribed (they
/// hear the event first), and any page opened later reads the running sync when it starts.
/// </summary>
internal sealed class SyncHold : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource<SyncProgress> reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDisposable subscription;

    private SyncHold(SyncProgressNotifier notifier, Guid tenantId)
    {
        subscription = notifier.Subscribe(tenantId, HoldAsync);
    }

    public static SyncHold Arm(IServiceProvider services, Guid tenantId) =>
        new(services.GetRequiredService<SyncProgressNotifier>(), tenantId);

    /// <summary>Completes when a sync of the tenant has started and is being held; fails after 30 s.</summary>
    public Task<SyncProgress> Reached => reached.Task.WaitAsync(Timeout);

    public void Release() => release.TrySetResult();

    private async Task HoldAsync(SyncProgress progress)
    {
        if (!progress.IsRunning || !reached.TrySetResult(progress))
        {
            return;
        }
        // Never hold the app's sync longer than a failing test could wait.
        await release.Task.WaitAsync(Timeout);
    }

    public void Dispose()
    {
        Release();
        subscription.Dispose();
    }
}
