using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sync.Push;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace EmailSettings.Core.Sync;

public static class SyncRegistration
{
    /// <summary>
    /// Registers the IMAP sync (engine, coordinator, notifier, schedule) and the synced-messages view.
    /// Core configures Quartz and adds its hosted service as well, so any host of the Core (the Portal, a test
    /// host that is started) runs the schedule; a host that is never started never builds a scheduler.
    /// </summary>
    public static IHostApplicationBuilder AddImapSync(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SyncOptions>()
            .BindConfiguration(SyncOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Sync settings: Sync:Interval at least 00:00:01, Sync:BatchSize 1-5000, Sync:Timeout at least 00:00:01, Sync:BackoffAfterFailures at least 1, Sync:MaxIdleConnections at least 0, Sync:IdleRefresh 00:00:01-00:29:00, Sync:IdleReconnectDelay positive and at most Sync:IdleMaxReconnectDelay, Sync:PushDelay at most 00:00:10, Sync:AlertAfterFailures at least 1, Sync:AlertAfter and Sync:PauseAfter positive.")
            .ValidateOnStart();

        services.AddSingleton<SyncProgressNotifier>();
        services.AddSingleton<ImapSyncService>();
        services.AddSingleton<SyncCoordinator>();
        services.AddSingleton<SyncScheduler>();
        // The cluster registration replaces this with its database lease.
        services.TryAddSingleton<IWatcherOwnership, SingleNodeWatcherOwnership>();
        services.AddSingleton<IdleWatchers>();
        // Listeners are told in this order: the watcher stops before the scheduler schedules the save's sync, so that
        // sync is not skipped as "idling" (and its success starts the watcher again with the saved settings).
        services.AddSingleton<IEmailAccountChangeListener>(sp => sp.GetRequiredService<IdleWatchers>());
        services.AddSingleton<IEmailAccountChangeListener>(sp => sp.GetRequiredService<SyncScheduler>());
        services.AddSingleton<OAuth.IOAuthProblemSink>(sp => sp.GetRequiredService<SyncScheduler>());
        services.AddSingleton<ISyncOutcomeListener>(sp => sp.GetRequiredService<IdleWatchers>());
        services.AddScoped<SyncService>();
        services.AddScoped<MessageService>();

        services.AddTransient<ImapSyncJob>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "EmailSettings.ImapSync";
                // Shutdown cancels the jobs' tokens and still waits for them to return.
                o.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            q.UseInMemoryStore(_ => { });
            q.UseDefaultThreadPool(4);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        // After Quartz's hosted service: it starts after the scheduler and stops (cancelling running syncs) before it.
        services.AddHostedService(sp => sp.GetRequiredService<SyncScheduler>());
        // After the scheduler: idle connections open once syncs can run, and close first on shutdown.
        services.AddHostedService(sp => sp.GetRequiredService<IdleWatchers>());
        return builder;
    }
}
