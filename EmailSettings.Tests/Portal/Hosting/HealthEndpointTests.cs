using System.Net;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Portal.Hosting;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Portal.Hosting;

/// <summary>/health/live and /health/ready of the real Portal, without signing in.</summary>
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task On_sqlite_a_started_portal_is_live_and_ready_with_each_check_listed()
    {
        await using var app = await PortalTestApp.StartAsync();
        var client = app.CreateBrowserClient();

        var live = await client.GetAsync(HealthEndpoints.LivePath);
        var ready = await client.GetAsync(HealthEndpoints.ReadyPath);

        live.StatusCode.Should().Be(HttpStatusCode.OK);
        (await live.Content.ReadAsStringAsync()).Should().StartWith("Healthy");
        ready.StatusCode.Should().Be(HttpStatusCode.OK);
        var report = await ready.Content.ReadAsStringAsync();
        report.Should().StartWith("Healthy\n").And.Contain("database: Healthy").And.Contain("scheduler: Healthy").And.Contain("sync-schedule: Healthy");
        report.Should().NotContain("notifications", "one node on SQLite has no NOTIFY listener");
    }
}

/// <summary>On PostgreSQL a node is ready only while its NOTIFY listener is connected.</summary>
[Trait("Category", "Integration")]
public sealed class PostgresHealthEndpointTests
{
    [Fact]
    public async Task A_node_whose_notification_session_dropped_is_not_ready_until_it_listens_again()
    {
        var postgres = await PostgresServer.SharedAsync();
        var database = await postgres.CreateDatabaseAsync("health");
        try
        {
            await using var app = await PortalTestApp.StartAsync(settings: new Dictionary<string, string?>
            {
                [DatabaseOptions.ProviderKey] = "Postgres",
                [DatabaseOptions.ConnectionStringKey] = postgres.ConnectionString(database),
                [ClusterOptions.NodeNameKey] = "health-node",
            });
            var client = app.CreateBrowserClient();
            var listener = app.Services.GetRequiredService<PostgresNotificationListener>();
            await listener.WaitUntilListeningAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            listener.ReconnectDelay = TimeSpan.FromSeconds(2);

            var ready = await client.GetAsync(HealthEndpoints.ReadyPath);
            ready.StatusCode.Should().Be(HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
            (await ready.Content.ReadAsStringAsync()).Should().Contain("notifications: Healthy").And.Contain("database: Healthy");

            (await postgres.TerminateSessionsAsync(database, "EmailSettings listener health-node")).Should().Be(1);
            await Eventually.HoldsAsync(() => !listener.IsListening, "the node noticed the drop");
            var notReady = await client.GetAsync(HealthEndpoints.ReadyPath);
            notReady.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await notReady.Content.ReadAsStringAsync()).Should().StartWith("Unhealthy").And.Contain("notifications: Unhealthy");
            (await client.GetAsync(HealthEndpoints.LivePath)).StatusCode.Should().Be(HttpStatusCode.OK, "alive all the same: nothing to restart");

            await listener.WaitUntilListeningAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            (await client.GetAsync(HealthEndpoints.ReadyPath)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        finally
        {
            await postgres.DropDatabaseAsync(database);
        }
    }
}
