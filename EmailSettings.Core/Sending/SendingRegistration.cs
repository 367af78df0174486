using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Sending;

public static class SendingRegistration
{
    /// <summary>Outbound sending (<see cref="IEmailSender"/>) and the email log, configured from "Sending".</summary>
    public static IHostApplicationBuilder AddEmailSending(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SendingOptions>()
            .BindConfiguration(SendingOptions.SectionName)
            .Validate(o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(10),
                "Sending:Timeout must be between 00:00:01 and 00:10:00, e.g. \"00:00:30\".")
            .ValidateOnStart();
        services.AddScoped<IEmailSender, SmtpEmailSender>();
        services.AddScoped<EmailLogService>();
        return builder;
    }
}
