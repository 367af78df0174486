using System.ComponentModel.DataAnnotations;

namespace EmailSettings.Portal.Auth;

/// <summary>Sign-in settings of the portal, bound from the "Auth" section.</summary>
public sealed class PortalAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// How often an open page re-checks its user against the database. The Blazor template uses 30 minutes; one
    /// minute keeps a removed administrator's open page from acting for long, at one small query per page a minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00", ErrorMessage = "Auth:RevalidationInterval must be between 50 ms and 1 hour.")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);
}
