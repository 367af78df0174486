using System.Security.Claims;
using EmailSettings.Core.Identity;
using EmailSettings.Portal.Auth;
using EmailSettings.Portal.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace EmailSettings.Tests.Portal.Auth;

/// <summary>The tenant every Core service acts for comes only from the signed-in user's claims.</summary>
public sealed class ClaimsTenantContextTests
{
    private static readonly Guid Tenant = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");

    [Fact]
    public void An_admin_with_a_tenant_claim_administers_that_tenant()
    {
        var context = ContextFor(Principal(Tenant.ToString(), Roles.TenantAdmin));

        context.TenantId.Should().Be(Tenant);
        context.IsTenantAdmin.Should().BeTrue();
    }

    [Fact]
    public void A_user_without_the_role_has_a_tenant_but_does_not_administer_it()
    {
        var context = ContextFor(Principal(Tenant.ToString()));

        context.TenantId.Should().Be(Tenant);
        context.IsTenantAdmin.Should().BeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-guid")]
    public void The_role_without_a_valid_tenant_claim_grants_nothing(string? tenantClaim)
    {
        var context = ContextFor(Principal(tenantClaim, Roles.TenantAdmin));

        context.TenantId.Should().BeNull();
        context.IsTenantAdmin.Should().BeFalse();
    }

    [Fact]
    public void Claims_of_an_unauthenticated_identity_grant_nothing()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(PortalClaimTypes.TenantId, Tenant.ToString()), new Claim(ClaimTypes.Role, Roles.TenantAdmin)]));

        var context = ContextFor(anonymous);

        context.TenantId.Should().BeNull();
        context.IsTenantAdmin.Should().BeFalse();
    }

    [Fact]
    public void A_change_of_the_circuits_user_is_seen_by_the_next_call()
    {
        var provider = new ServerAuthenticationStateProvider();
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(Principal(Tenant.ToString(), Roles.TenantAdmin))));
        var context = new ClaimsTenantContext(provider);
        context.IsTenantAdmin.Should().BeTrue();

        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));

        context.IsTenantAdmin.Should().BeFalse();
        context.TenantId.Should().BeNull();
    }

    [Theory]
    [InlineData("/communications/settings/email", true)]
    [InlineData("/communications/settings/email?tab=1", true)]
    [InlineData("~/communications", true)]
    [InlineData("/", true)]
    [InlineData("https://evil.example/", false)]
    [InlineData("//evil.example/", false)]
    [InlineData("/\\evil.example/", false)]
    [InlineData("evil.example", false)]
    [InlineData("/\r\nLocation: https://evil.example", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_local_return_urls_are_followed(string? url, bool local)
    {
        AccountPaths.IsLocalUrl(url).Should().Be(local);
        AccountPaths.SafeReturnUrl(url).Should().Be(local ? url!.TrimStart('~') : AccountPaths.Home);
    }

    private static ClaimsTenantContext ContextFor(ClaimsPrincipal user)
    {
        var provider = new ServerAuthenticationStateProvider();
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(user)));
        return new ClaimsTenantContext(provider);
    }

    private static ClaimsPrincipal Principal(string? tenantClaim, params string[] roles)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, "someone@a.test") };
        if (tenantClaim is not null)
        {
            claims.Add(new Claim(PortalClaimTypes.TenantId, tenantClaim));
        }
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType: "Test"));
    }
}
