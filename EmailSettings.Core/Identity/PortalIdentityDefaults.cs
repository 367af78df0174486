using Microsoft.AspNetCore.Identity;

namespace EmailSettings.Core.Identity;

public static class PortalIdentityDefaults
{
    public const int MaxFailedAccessAttempts = 5;
    public static readonly TimeSpan LockoutTimeSpan = TimeSpan.FromMinutes(15);
    public const int RequiredPasswordLength = 12;

    /// <summary>
    /// Length over composition rules (NIST SP 800-63B): at least 12 characters with some variety, no forced symbols.
    /// Lockout after 5 failed sign-ins for 15 minutes. Both can be overridden from the "Identity" configuration section.
    /// </summary>
    public static void Apply(IdentityOptions options)
    {
        options.User.RequireUniqueEmail = true;
        options.Password.RequiredLength = RequiredPasswordLength;
        options.Password.RequiredUniqueChars = 5;
        options.Password.RequireDigit = false;
        options.Password.RequireLowercase = false;
        options.Password.RequireUppercase = false;
        options.Password.RequireNonAlphanumeric = false;
        options.Lockout.AllowedForNewUsers = true;
        options.Lockout.MaxFailedAccessAttempts = MaxFailedAccessAttempts;
        options.Lockout.DefaultLockoutTimeSpan = LockoutTimeSpan;
        options.SignIn.RequireConfirmedAccount = false;
    }
}
