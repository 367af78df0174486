using EmailSettings.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Core.Identity;

public static class IdentityRegistration
{
    public const string ConfigurationSection = "Identity";

    /// <summary>
    /// ASP.NET Core Identity's user and role managers over the EF Core store in the app's database, with the
    /// portal's password and lockout policy (overridable under "Identity", e.g. Identity:Lockout:MaxFailedAccessAttempts)
    /// and the tenant claims. The Portal adds the cookie sign-in on top.
    /// </summary>
    public static IHostApplicationBuilder AddPortalIdentity(this IHostApplicationBuilder builder)
    {
        builder.Services
            .AddIdentityCore<PortalUser>(PortalIdentityDefaults.Apply)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<EmailSettingsDbContext>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>();
        builder.Services.Configure<IdentityOptions>(builder.Configuration.GetSection(ConfigurationSection));
        builder.Services.AddScoped<TenantAdministration>();
        return builder;
    }
}
