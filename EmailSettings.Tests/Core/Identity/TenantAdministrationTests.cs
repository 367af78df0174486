using EmailSettings.Core.Data;
using EmailSettings.Core.Identity;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EmailSettings.Tests.Core.Identity;

public class TenantAdministrationTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = default!;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync(Provider);

    public async Task DisposeAsync() => await host.DisposeAsync();

    private TenantAdministration Administration => host.Scope(tenantId: null).GetRequiredService<TenantAdministration>();
    private UserManager<PortalUser> Users => host.Scope(tenantId: null).GetRequiredService<UserManager<PortalUser>>();

    [Fact]
    public async Task Creating_an_admin_for_a_new_tenant_name_creates_the_tenant_and_an_admin_in_it()
    {
        var result = await Administration.CreateUserAsync("Contoso", "boss@contoso.example", "Correct-Horse-Battery", isTenantAdmin: true);

        result.Succeeded.Should().BeTrue();
        var created = result.Value!;
        created.TenantCreated.Should().BeTrue();
        created.GeneratedPassword.Should().BeNull();
        await using var db = await host.CreateDbContextAsync();
        (await db.Tenants.SingleAsync(t => t.Id == created.TenantId)).Name.Should().Be("Contoso");
        var user = await Users.FindByEmailAsync("boss@contoso.example");
        user!.TenantId.Should().Be(created.TenantId);
        (await Users.IsInRoleAsync(user, Roles.TenantAdmin)).Should().BeTrue();
        (await Users.CheckPasswordAsync(user, "Correct-Horse-Battery")).Should().BeTrue();
    }

    [Fact]
    public async Task An_existing_tenant_name_in_any_case_reuses_that_tenant()
    {
        var result = await Administration.CreateUserAsync("tenant a", "second-admin@a.test", "Correct-Horse-Battery", isTenantAdmin: true);

        result.Value!.TenantCreated.Should().BeFalse();
        result.Value.TenantId.Should().Be(host.TenantA);
        await using var db = await host.CreateDbContextAsync();
        (await db.Tenants.CountAsync()).Should().Be(2);
    }

    [Fact]
    public async Task Without_a_password_a_strong_one_is_generated_returned_once_and_works()
    {
        var result = await Administration.CreateUserAsync("Contoso", "boss@contoso.example", password: null, isTenantAdmin: true);

        var generated = result.Value!.GeneratedPassword;
        generated.Should().NotBeNullOrEmpty().And.HaveLength(TenantAdministration.GeneratedPasswordLength);
        var user = await Users.FindByEmailAsync("boss@contoso.example");
        (await Users.CheckPasswordAsync(user!, generated!)).Should().BeTrue();
        TenantAdministration.GeneratePassword().Should().NotBe(generated, "every generated password is random");
    }

    [Fact]
    public async Task A_password_against_the_policy_is_refused_and_leaves_no_tenant_or_user_behind()
    {
        var result = await Administration.CreateUserAsync("Contoso", "boss@contoso.example", "short", isTenantAdmin: true);

        result.Succeeded.Should().BeFalse();
        result.ErrorFor(TenantAdministration.PasswordField).Should().Contain("at least 12 characters");
        await using var db = await host.CreateDbContextAsync();
        (await db.Tenants.AnyAsync(t => t.Name == "Contoso")).Should().BeFalse();
        (await db.Users.AnyAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task An_email_that_already_has_a_user_is_refused_even_in_another_tenant()
    {
        await TestUsers.CreateAdminAsync(host.Services, host.TenantA, "taken@example.com");

        var result = await Administration.CreateUserAsync("Tenant B", "TAKEN@example.com", "Correct-Horse-Battery", isTenantAdmin: true);

        result.ErrorFor(TenantAdministration.EmailField).Should().Be("A user with the email TAKEN@example.com already exists.");
    }

    [Theory]
    [InlineData("", "boss@contoso.example", TenantAdministration.TenantNameField)]
    [InlineData("Contoso", "not-an-email", TenantAdministration.EmailField)]
    public async Task Missing_or_malformed_input_is_refused_with_a_message_for_that_field(string tenant, string email, string field)
    {
        var result = await Administration.CreateUserAsync(tenant, email, "Correct-Horse-Battery", isTenantAdmin: true);

        result.FieldErrors.Keys.Should().Equal(field);
    }

    [Fact]
    public async Task The_sign_in_principal_carries_the_users_tenant_and_the_role_only_for_admins()
    {
        var admin = await TestUsers.CreateAdminAsync(host.Services, host.TenantA, "admin@a.test");
        var member = await TestUsers.CreateNonAdminAsync(host.Services, host.TenantB, "user@b.test");
        var factory = host.Scope(tenantId: null).GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>();

        var adminPrincipal = await factory.CreateAsync((await Users.FindByEmailAsync(admin.Email))!);
        var memberPrincipal = await factory.CreateAsync((await Users.FindByEmailAsync(member.Email))!);

        adminPrincipal.GetTenantId().Should().Be(host.TenantA);
        adminPrincipal.IsTenantAdmin().Should().BeTrue();
        adminPrincipal.FindFirst(PortalClaimTypes.TenantName)!.Value.Should().Be("Tenant A");
        memberPrincipal.GetTenantId().Should().Be(host.TenantB);
        memberPrincipal.IsTenantAdmin().Should().BeFalse();
    }

    [Fact]
    public void Lockout_is_five_failed_attempts_for_fifteen_minutes_and_passwords_need_twelve_characters()
    {
        var options = host.Services.GetRequiredService<IOptions<IdentityOptions>>().Value;

        options.Lockout.MaxFailedAccessAttempts.Should().Be(5);
        options.Lockout.DefaultLockoutTimeSpan.Should().Be(TimeSpan.FromMinutes(15));
        options.Lockout.AllowedForNewUsers.Should().BeTrue();
        options.Password.RequiredLength.Should().Be(12);
        options.User.RequireUniqueEmail.Should().BeTrue();
    }

    [Fact]
    public async Task Lockout_settings_can_be_changed_in_configuration()
    {
        await using var configured = await CoreTestHost.CreateAsync(Provider, b =>
        {
            b.Configuration["Identity:Lockout:MaxFailedAccessAttempts"] = "3";
            b.Configuration["Identity:Lockout:DefaultLockoutTimeSpan"] = "01:00:00";
        });

        var options = configured.Services.GetRequiredService<IOptions<IdentityOptions>>().Value;

        options.Lockout.MaxFailedAccessAttempts.Should().Be(3);
        options.Lockout.DefaultLockoutTimeSpan.Should().Be(TimeSpan.FromHours(1));
        options.Password.RequiredLength.Should().Be(12, "settings not configured keep the portal's defaults");
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class TenantAdministrationTestsOnPostgres : TenantAdministrationTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
