using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sync.Push;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace EmailSettings.Core.Sync;

public static class SyncRegistration
{
    /// <summary>
    /// Registers the IMAP sync (engine, coordinator, notifier, schedule) and the synced-messages view.
    /// Core configures Quartz and adds its hosted service as well, so any host of the Core (the Portal, a test
    /// host that is started) runs the schedule; a host that is never started never builds a scheduler.
    /// SQLite: Quartz's in-memory store, one node. PostgreSQL: Quartz's clustered ADO.NET store in the same database
    /// (its schema is Quartz's own, created by Quartz when missing), a cluster-wide lease per running sync and sync
    /// events carried between nodes by NOTIFY.
    /// </summary>
    public static IHostApplicationBuilder AddImapSync(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var database = builder.GetDatabaseOptions();
        var cluster = builder.GetClusterOptions();
        var clustered = database.Provider == DatabaseProvider.Postgres;
        services.AddOptions<SyncOptions>()
            .BindConfiguration(SyncOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Sync settings: Sync:Interval at least 00:00:01, Sync:BatchSize 1-5000, Sync:Timeout at least 00:00:01, Sync:BackoffAfterFailures at least 1, Sync:MaxIdleConnections at least 0, Sync:IdleRefresh 00:00:01-00:29:00, Sync:IdleReconnectDelay positive and at most Sync:IdleMaxReconnectDelay, Sync:PushDelay at most 00:00:10, Sync:AlertAfterFailures at least 1, Sync:AlertAfter and Sync:PauseAfter positive, Sync:Concurrency 1-64.")
            .ValidateOnStart();
        var concurrency = ReadConcurrency(builder.Configuration);

        services.AddSingleton(sp => new SyncProgressNotifier(
            sp.GetRequiredService<ILogger<SyncProgressNotifier>>(), sp.GetService<ISyncEventPublisher>()));
        services.AddSingleton<ImapSyncService>();
        services.AddSingleton(sp => new SyncCoordinator(
            sp.GetRequiredService<ImapSyncService>(),
            sp.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>(),
            sp.GetRequiredService<IOptions<SyncOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp,
            sp.GetRequiredService<ILogger<SyncCoordinator>>(),
            sp.GetService<ClusterSyncGate>()));
        if (clustered)
        {
            services.AddSingleton<ClusterSyncGate>();
            services.AddSingleton<ISyncEventPublisher, PostgresSyncEventPublisher>();
            services.AddSingleton<IPostgresNotificationHandler, RemoteSyncEvents>();
            services.AddSingleton<IWatcherOwnership, ClusterWatcherOwnership>();
        }
        services.AddSingleton<SyncScheduler>();
        // Several nodes registered ClusterWatcherOwnership (the "imap-idle" lease) above.
        services.TryAddSingleton<IWatcherOwnership, SingleNodeWatcherOwnership>();
        services.AddSingleton<IdleWatchers>();
        // Listeners are told in this order: the watcher stops before the scheduler schedules the save's sync, so that
        // sync is not skipped as "idling" (and its success starts the watcher again with the saved settings).
        services.AddSingleton<IEmailAccountChangeListener>(sp => sp.GetRequiredService<IdleWatchers>());
        if (clustered)
        {
            // The other nodes' watchers of a saved or deleted account stop too: told before the save's sync is
            // scheduled, so a node that fires it has stopped its watcher and does not skip it as "idling".
            services.AddSingleton<ClusterAccountChanges>();
            services.AddSingleton<IEmailAccountChangeListener>(sp => sp.GetRequiredService<ClusterAccountChanges>());
            services.AddSingleton<IPostgresNotificationHandler>(sp => sp.GetRequiredService<ClusterAccountChanges>());
        }
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
            if (clustered)
            {
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(database.ConnectionString);
                    // Each node checks in; a node silent for interval + threshold is dead, and the others re-run its
                    // interrupted firings (the jobs request recovery). Instance ids are generated per node.
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = cluster.CheckinInterval;
                        c.CheckinMisfireThreshold = cluster.CheckinMisfireThreshold;
                    });
                    store.UseSystemTextJsonSerializer();
                    // The one owner of Quartz's tables is Quartz: its embedded PostgreSQL script, run when tables are
                    // missing (guarded, safe when several nodes start at once), then validated. Never a copy of ours.
                    store.ProvisionSchema();
                });
            }
            else
            {
                q.UseInMemoryStore(_ => { });
            }
            q.UseDefaultThreadPool(concurrency);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        // After Quartz's hosted service: it starts after the scheduler and stops (cancelling running syncs) before it.
        services.AddHostedService(sp => sp.GetRequiredService<SyncScheduler>());
        // After the scheduler: idle connections open once syncs can run, and close first on shutdown.
        services.AddHostedService(sp => sp.GetRequiredService<IdleWatchers>());
        if (clustered)
        {
            // After the watchers: the periodic pass that takes over accounts no node watches (stops first).
            services.AddSingleton<IdleWatcherTakeover>();
            services.AddHostedService(sp => sp.GetRequiredService<IdleWatcherTakeover>());
        }
        return builder;
    }

    /// <summary><c>Sync:Concurrency</c> sizes Quartz's thread pool, which is built before options are validated.</summary>
    private static int ReadConcurrency(IConfiguration configuration)
    {
        var text = configuration[$"{SyncOptions.SectionName}:{nameof(SyncOptions.Concurrency)}"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return SyncOptions.DefaultConcurrency;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value is >= 1 and <= 64
            ? value
            : throw new StartupConfigurationException($"Sync:Concurrency is \"{text}\": use a whole number from 1 to 64 (default {SyncOptions.DefaultConcurrency}).");
    }
}
