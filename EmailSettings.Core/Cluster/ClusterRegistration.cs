using EmailSettings.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Cluster;

public static class ClusterRegistration
{
    /// <summary>
    /// Registers what lets several nodes share one database: <see cref="IClusterLeases"/> (PostgreSQL advisory locks,
    /// or in-process leases on SQLite) and, on PostgreSQL, the node's one NOTIFY listener. Reads the "Cluster" section
    /// (<see cref="ClusterOptions"/>); a wrong value stops start-up naming its key.
    /// </summary>
    public static IHostApplicationBuilder AddEmailSettingsCluster(this IHostApplicationBuilder builder)
    {
        var cluster = ClusterOptions.Read(builder.Configuration);
        builder.Properties[typeof(ClusterOptions)] = cluster;
        var services = builder.Services;
        services.AddSingleton(cluster);
        if (builder.GetDatabaseOptions().Provider == DatabaseProvider.Postgres)
        {
            services.AddSingleton<PostgresConnections>();
            services.AddSingleton<PostgresLeases>();
            services.AddSingleton<IClusterLeases>(sp => sp.GetRequiredService<PostgresLeases>());
            services.AddSingleton<IPostgresNotificationHandler>(sp => sp.GetRequiredService<PostgresLeases>());
            services.AddSingleton<PostgresNotificationListener>();
            services.AddHostedService(sp => sp.GetRequiredService<PostgresNotificationListener>());
        }
        else
        {
            services.AddSingleton<IClusterLeases, LocalLeases>();
        }
        return builder;
    }

    /// <summary>The options <see cref="AddEmailSettingsCluster"/> read (registration time).</summary>
    internal static ClusterOptions GetClusterOptions(this IHostApplicationBuilder builder) =>
        builder.Properties.TryGetValue(typeof(ClusterOptions), out var options)
            ? (ClusterOptions)options
            : throw new InvalidOperationException("Call builder.AddEmailSettingsCluster() first (AddEmailSettingsCore does).");
}
