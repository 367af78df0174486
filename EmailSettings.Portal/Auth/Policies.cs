namespace EmailSettings.Portal.Auth;

public static class Policies
{
    /// <summary>Signed in, with a tenant claim and the TenantAdmin role. Guards the whole Email Settings area.</summary>
    public const string TenantAdmin = "TenantAdmin";
}

/// <summary>The account pages' addresses, shared by the cookie options, the router and the layout.</summary>
public static class AccountPaths
{
    public const string SignIn = "/account/sign-in";
    public const string SignOut = "/account/sign-out";
    public const string AccessDenied = "/account/access-denied";
    public const string ReturnUrlParameter = "ReturnUrl";

    /// <summary>Where to go after signing in when no (valid) return URL was given.</summary>
    public const string Home = "/communications/settings/email";

    /// <summary>
    /// True for a path on this site ("/x", "~/x"), false for anything that could leave it ("//host", "/\host",
    /// "http://host", control characters): the same rule as ASP.NET Core's Url.IsLocalUrl, against open redirects.
    /// </summary>
    public static bool IsLocalUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return false;
        }
        if (url.StartsWith("~/", StringComparison.Ordinal))
        {
            url = url[1..];
        }
        if (url[0] != '/' || url.Any(char.IsControl))
        {
            return false;
        }
        return url.Length == 1 || (url[1] != '/' && url[1] != '\\');
    }

    public static string SafeReturnUrl(string? returnUrl) =>
        IsLocalUrl(returnUrl) ? (returnUrl!.StartsWith('~') ? returnUrl[1..] : returnUrl) : Home;
}
