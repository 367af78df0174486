using System.Net;

namespace EmailSettings.Tests.Support;

public static class PortalClientExtensions
{
    public const string SignInPath = "/account/sign-in";

    /// <summary>
    /// Signs in as a browser does: opens the sign-in page (with the return URL, if any), reads the form with its
    /// antiforgery token and posts it. Returns the post's response (a redirect on success, the page again on failure).
    /// </summary>
    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient client, string email, string password, string? returnUrl = null)
    {
        var page = returnUrl is null ? SignInPath : $"{SignInPath}?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        return await client.SubmitSignInFormAsync(page, email, password);
    }

    /// <summary>Posts the sign-in form found at <paramref name="signInPageUrl"/> (e.g. a redirect's Location).</summary>
    public static async Task<HttpResponseMessage> SubmitSignInFormAsync(this HttpClient client, string signInPageUrl, string email, string password)
    {
        var html = await client.GetStringAsync(signInPageUrl);
        var form = HtmlForm.Parse(html, "form[method=post]");
        return await client.PostAsync(form.Action ?? signInPageUrl, form.Content(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The path and query a redirect points to, whether the Location is absolute or relative.</summary>
    public static string RedirectTarget(this HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var location = response.Headers.Location!;
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }
}
