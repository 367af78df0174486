using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Messages;
using Microsoft.Extensions.DependencyInjection;
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
            .Validate(o => o.Validate() is null, "Invalid Sync settings: Sync:Interval at least 00:00:01, Sync:BatchSize 1-5000, Sync:Timeout at least 00:00:01, Sync:BackoffAfterFailures at least 1.")
            .ValidateOnStart();

        services.AddSingleton<SyncProgressNotifier>();
        services.AddSingleton<ImapSyncService>();
        services.AddSingleton<SyncCoordinator>();
        services.AddSingleton<SyncScheduler>();
        services.AddSingleton<IEmailAccountChangeListener>(sp => sp.GetRequiredService<SyncScheduler>());
        services.AddSingleton<OAuth.IOAuthProblemSink>(sp => sp.GetRequiredService<SyncScheduler>());
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
        return builder;
    }
}
