using System.Text;
using EmailSettings.Core.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EmailSettings.Portal.Hosting;

public static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>
    /// <c>/health/live</c>: 200 while the process serves requests (no check runs: a database outage must not get a
    /// healthy node restarted). <c>/health/ready</c>: 200 only when every readiness check is healthy (database and
    /// migrations, Quartz, the sync schedule, on PostgreSQL the NOTIFY listener), otherwise 503; a load balancer sends
    /// new sessions only to ready nodes. Both answer without signing in, in plain text, one line per check.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthRegistration.ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                // Degraded (Quartz in standby, or this node's cluster check-in late) is not ready either.
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        });
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder().Append(report.Status).Append('\n');
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append(": ").Append(entry.Status);
            if (!string.IsNullOrEmpty(entry.Description))
            {
                text.Append(" - ").Append(entry.Description);
            }
            text.Append('\n');
        }
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text.ToString());
    }
}
