using System.Net;
using System.Security.Claims;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Tenancy;
using EmailSettings.Portal.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using OpenIddict.Client.AspNetCore;

namespace EmailSettings.Portal.OAuth;

/// <summary>The portal's two plain HTTP endpoints of the OAuth2 sign-in; what they decide lives in Core (<see cref="OAuthSignInService"/>).</summary>
/// <remarks>
/// Why a popup window and not a full-page redirect: the dialog's state (everything typed, the password of the other
/// sign-in, the last test result, a trusted certificate) lives in the Blazor circuit. A popup leaves that page, its
/// circuit and the open dialog alone, so nothing typed has to be written anywhere (a typed password would otherwise have
/// to be stored server-side while the admin is away) and nothing has to be restored. The popup is opened by the click
/// itself (a plain link, so popup blockers allow it; without script it opens as a tab), the result reaches the dialog
/// through Core (an in-process signal, and a database poll for a callback answered by another node), and the state is
/// bound to the admin, tenant and record and usable once, so a stray or replayed callback changes nothing.
/// </remarks>
public static class OAuthEndpoints
{
    public const string StartPath = "/oauth/start";
    public const string AttemptProperty = "emailsettings.attempt";

    /// <summary>The redirection endpoint's ASP.NET Core side: passthrough to <see cref="MapOAuthEndpoints"/>'s callback.</summary>
    public static IHostApplicationBuilder AddPortalOAuth(this IHostApplicationBuilder builder)
    {
        var allowHttp = builder.Configuration.GetValue<bool>($"{OAuthOptions.SectionName}:{nameof(OAuthOptions.AllowHttp)}");
        builder.Services.AddOpenIddict().AddClient().UseAspNetCore(o =>
        {
            o.EnableRedirectionEndpointPassthrough();
            // Refused states reach the callback below too, which explains them instead of OpenIddict's bare error.
            o.EnableErrorPassthrough();
            if (allowHttp)
            {
                // Development and tests only (OAuth:AllowHttp): the portal on http://localhost.
                o.DisableTransportSecurityRequirement();
            }
        });
        return builder;
    }

    /// <summary>The start link's address for one sign-in of a dialog or card.</summary>
    public static string StartUrl(string provider, OAuthTargetKind kind, int? recordId, string handle) =>
        $"{StartPath}?provider={Uri.EscapeDataString(provider)}&target={kind}&record={recordId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""}&handle={Uri.EscapeDataString(handle)}";

    public static IEndpointRouteBuilder MapOAuthEndpoints(this IEndpointRouteBuilder endpoints, string redirectPath)
    {
        endpoints.MapGet(StartPath, (Delegate)StartAsync).RequireAuthorization(Policies.TenantAdmin);
        // Anonymous on purpose: a callback without the portal's cookie gets an explanation, not the sign-in page.
        endpoints.MapMethods(redirectPath, [HttpMethods.Get, HttpMethods.Post], (Delegate)CallbackAsync).AllowAnonymous();
        return endpoints;
    }

    private static async Task<IResult> StartAsync(HttpContext http, string? provider, string? target, string? record, string? handle)
    {
        var signIns = ForRequestUser(http);
        if (!Enum.TryParse<OAuthTargetKind>(target, ignoreCase: false, out var kind))
        {
            return Page("The sign-in link is incomplete. Start the sign-in from the dialog's button.", succeeded: false);
        }
        int? recordId = int.TryParse(record, out var id) ? id : null;
        var begun = await signIns.BeginAsync(provider, kind, recordId, handle, http.RequestAborted);
        if (!begun.Succeeded)
        {
            return Page(begun.FieldErrors.Values.FirstOrDefault() ?? begun.Message ?? "The sign-in could not start.", succeeded: false);
        }
        var properties = new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictClientAspNetCoreConstants.Properties.ProviderName] = signIns.FindProvider(provider)!.Name,
            [AttemptProperty] = begun.Value.ToString(),
        });
        return Results.Challenge(properties, [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> CallbackAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        IDictionary<string, string?>? items = result.Properties?.Items;
        Guid? attemptId = Item(items, AttemptProperty) is { } raw && Guid.TryParse(raw, out var parsed) ? parsed : null;
        if (!http.User.IsInRole(Core.Identity.Roles.TenantAdmin))
        {
            return Page("Sign in to the portal as a tenant administrator in this browser, then start the sign-in again from the dialog. Nothing was saved.", succeeded: false);
        }
        var signIns = ForRequestUser(http);
        if (!result.Succeeded || result.Properties is null)
        {
            var message = await signIns.FailAsync(attemptId,
                Item(items, OpenIddictClientAspNetCoreConstants.Properties.Error),
                Item(items, OpenIddictClientAspNetCoreConstants.Properties.ErrorDescription) ?? result.Failure?.Message,
                http.RequestAborted);
            return Page(message, succeeded: false);
        }
        var accessToken = result.Properties.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.BackchannelAccessToken);
        if (string.IsNullOrEmpty(accessToken))
        {
            return Page(await signIns.FailAsync(attemptId, "invalid_response", "The provider returned no access token.", http.RequestAborted), succeeded: false);
        }
        DateTimeOffset? expires = DateTimeOffset.TryParse(
            result.Properties.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.BackchannelAccessTokenExpirationDate),
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        var principal = result.Principal;
        var address = principal?.FindFirstValue("email") ?? principal?.FindFirstValue(ClaimTypes.Email)
            ?? principal?.FindFirstValue("preferred_username") ?? principal?.FindFirstValue("upn");
        var outcome = await signIns.CompleteAsync(attemptId, new OAuthSignedIn(accessToken, expires,
            result.Properties.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.RefreshToken), address), http.RequestAborted);
        return Page(outcome.Message, outcome.Succeeded);
    }

    private static string? Item(IDictionary<string, string?>? items, string key) =>
        items is not null && items.TryGetValue(key, out var value) ? value : null;

    /// <summary>The sign-in service acting for this request's signed-in user (Core reads the user from the authentication state).</summary>
    private static OAuthSignInService ForRequestUser(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<AuthenticationStateProvider>() is IHostEnvironmentAuthenticationStateProvider host)
        {
            host.SetAuthenticationState(Task.FromResult(new AuthenticationState(http.User)));
        }
        return http.RequestServices.GetRequiredService<OAuthSignInService>();
    }

    /// <summary>The popup's page: what happened, and on success it closes itself (the dialog behind it shows the rest).</summary>
    private static IResult Page(string message, bool succeeded)
    {
        var text = WebUtility.HtmlEncode(message);
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{(succeeded ? "Signed in" : "Sign-in refused")}}</title>
            <style>body{font-family:"Segoe UI",Roboto,Arial,sans-serif;margin:3rem auto;max-width:32rem;line-height:1.5;padding:0 1rem}</style></head>
            <body><h1>{{(succeeded ? "Signed in" : "Sign-in refused")}}</h1><p id="oauth-outcome" role="{{(succeeded ? "status" : "alert")}}">{{text}}</p>
            {{(succeeded ? "<script>setTimeout(function () { window.close(); }, 1500);</script>" : "")}}</body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: succeeded ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }
}
