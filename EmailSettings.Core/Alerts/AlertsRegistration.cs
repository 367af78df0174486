using EmailSettings.Core.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Alerts;

public static class AlertsRegistration
{
    /// <summary>
    /// Account alerts: the announcer (<see cref="AccountAlerts"/>), the notices pages hear (<see cref="AccountAlertService"/>)
    /// the evaluator that raises and clears sync failures after each sync (thresholds under "Sync"), and the
    /// announcement of dead OAuth grants (<see cref="OAuthGrantAlerts"/>).
    /// </summary>
    public static IHostApplicationBuilder AddAccountAlerts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<AccountAlertNotifier>();
        services.AddSingleton<AccountAlerts>();
        services.AddScoped<AccountAlertService>();
        services.AddSingleton<ISyncOutcomeListener, SyncAlertEvaluator>();
        // A dead OAuth grant of an account is announced like any other account problem.
        services.AddSingleton<OAuth.IOAuthProblemSink, OAuthGrantAlerts>();
        return builder;
    }
}
