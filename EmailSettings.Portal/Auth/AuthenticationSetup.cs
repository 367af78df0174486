using Microsoft.AspNetCore.Antiforgery;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Tenancy;
using EmailSettings.Portal.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace EmailSettings.Portal.Auth;

public static class AuthenticationSetup
{
    /// <summary>
    /// Cookie sign-in over the Core's Identity store, the TenantAdmin policy, and the tenant context every Core
    /// service reads: the tenant comes from the signed-in user's claims, never from the URL or a default.
    /// </summary>
    public static IHostApplicationBuilder AddPortalAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddOptions<PortalAuthOptions>().BindConfiguration(PortalAuthOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        // Background work acts for an explicitly chosen tenant (CreateScopeForTenant); everything else for the signed-in user.
        builder.AddTenantContext<ClaimsTenantContext>();

        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "EmailSettings.Auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = AccountPaths.SignIn;
            o.LogoutPath = AccountPaths.SignOut;
            o.AccessDeniedPath = AccountPaths.AccessDenied;
            o.ReturnUrlParameter = AccountPaths.ReturnUrlParameter;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
        });
        new IdentityBuilder(typeof(PortalUser), typeof(IdentityRole), builder.Services).AddSignInManager();

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.TenantAdmin, p => p
                .RequireAuthenticatedUser()
                .RequireClaim(PortalClaimTypes.TenantId)
                .RequireRole(Roles.TenantAdmin));
        return builder;
    }

    public const string SignOutRejectedMessage = "Sign-out was refused because the form had expired. Reload the page and sign out again.";

    /// <summary>Sign-out is a POST with an antiforgery token, so another site cannot sign users out.</summary>
    public static IEndpointRouteBuilder MapPortalAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(AccountPaths.SignOut, async (HttpContext http, SignInManager<PortalUser> signInManager) =>
            {
                // Checked here rather than left to form binding, so a missing or forged token is a plain 400, never an
                // exception. The body keeps the status-code page from re-executing this POST as a page request.
                if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
                {
                    return Results.Text(SignOutRejectedMessage, "text/plain", statusCode: StatusCodes.Status400BadRequest);
                }
                var form = await http.Request.ReadFormAsync();
                string? returnUrl = form[AccountPaths.ReturnUrlParameter];
                await signInManager.SignOutAsync();
                var next = AccountPaths.IsLocalUrl(returnUrl)
                    ? $"{AccountPaths.SignIn}?{AccountPaths.ReturnUrlParameter}={Uri.EscapeDataString(AccountPaths.SafeReturnUrl(returnUrl))}"
                    : AccountPaths.SignIn;
                return Results.LocalRedirect(next);
            })
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        return endpoints;
    }
}
