using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace EmailSettings.Core.Health;

public static class HealthRegistration
{
    /// <summary>The tag of the checks <c>/health/ready</c> runs; <c>/health/live</c> runs none (the process answers).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Readiness checks: the database answers and has every migration, Quartz runs (Quartz's own check: started, store
    /// reachable, and on a cluster this node still checking in), the sync schedule's start-up pass is done, and on
    /// PostgreSQL the node's NOTIFY listener is connected.
    /// </summary>
    public static IHostApplicationBuilder AddEmailSettingsHealthChecks(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddQuartz(o =>
            {
                o.Name = "scheduler";
                o.Tags.Add(ReadyTag);
            })
            .AddCheck<SyncScheduleHealthCheck>("sync-schedule", tags: [ReadyTag]);
        if (builder.GetDatabaseOptions().Provider == DatabaseProvider.Postgres)
        {
            checks.AddCheck<NotificationListenerHealthCheck>("notifications", tags: [ReadyTag]);
        }
        return builder;
    }
}

/// <summary>The database can be opened and has no pending migration.</summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<EmailSettingsDbContext> dbFactory, DatabaseOptions database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy($"The {database.Describe()} cannot be reached.");
            }
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"The {database.Describe()} answers; every migration is applied.")
                : HealthCheckResult.Unhealthy($"{pending.Count} migrations are not applied yet (first: {pending[0]}).");
        }
        catch (Exception ex) when (DatabaseProviders.IsConnectionFailure(ex))
        {
            // The database's own message, not the exception: it never holds the password, and no stack trace leaves.
            return HealthCheckResult.Unhealthy($"The {database.Describe()} cannot be reached: {ex.Message}");
        }
    }
}

/// <summary>The sync scheduler has scheduled every account at start-up.</summary>
internal sealed class SyncScheduleHealthCheck(SyncScheduler scheduler) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(scheduler.IsStarted
            ? HealthCheckResult.Healthy("Every account's sync is scheduled.")
            : HealthCheckResult.Unhealthy("The sync schedule has not started."));
}

/// <summary>PostgreSQL: the node's LISTEN session is connected, so its pages hear syncs running on other nodes.</summary>
internal sealed class NotificationListenerHealthCheck(PostgresNotificationListener listener) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(listener.IsListening
            ? HealthCheckResult.Healthy($"Listening ({listener.Sessions} sessions so far).")
            : HealthCheckResult.Unhealthy("The notification listener is not connected; pages here would miss syncs running on other nodes."));
}
