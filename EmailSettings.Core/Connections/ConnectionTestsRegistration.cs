using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Connections;

public static class ConnectionTestsRegistration
{
    /// <summary>Test Connection for SMTP and IMAP, certificate pinning, and the "ConnectionTests" options.</summary>
    public static IHostApplicationBuilder AddConnectionTests(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConnectionTestOptions>()
            .BindConfiguration(ConnectionTestOptions.SectionName)
            .Validate(
                o => o.Timeout > TimeSpan.Zero && o.Timeout <= ConnectionTestOptions.MaximumTimeout,
                $"{ConnectionTestOptions.SectionName}:Timeout must be a positive time span of at most 00:05:00 (hh:mm:ss), for example \"00:00:15\".")
            .ValidateOnStart();
        services.AddScoped<SmtpConnectionTester>();
        services.AddScoped<ImapConnectionTester>();
        services.AddScoped<CertificatePinService>();
        return builder;
    }
}
