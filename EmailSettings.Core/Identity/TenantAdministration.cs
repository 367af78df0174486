using System.Security.Cryptography;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Identity;

/// <summary>What <see cref="TenantAdministration.CreateUserAsync"/> did. <see cref="GeneratedPassword"/> is shown once and never stored.</summary>
public sealed record CreatedPortalUser(
    Guid TenantId,
    string TenantName,
    bool TenantCreated,
    string UserId,
    string Email,
    bool IsTenantAdmin,
    string? GeneratedPassword);

/// <summary>
/// Operator tasks outside any tenant: creating tenants and their users. Used by the <c>create-admin</c> command and
/// the Development seeder only; no page injects it, because it acts across tenants and needs no signed-in caller.
/// </summary>
public sealed class TenantAdministration(
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    TimeProvider clock,
    ILogger<TenantAdministration> logger)
{
    public const string TenantNameField = "TenantName";
    public const string EmailField = "Email";
    public const string PasswordField = "Password";
    public const int GeneratedPasswordLength = 20;

    // No look-alike characters (0/O, 1/l/I) so a printed password can be typed.
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789-_.!";

    /// <summary>
    /// Creates a user in the tenant named <paramref name="tenantName"/>, creating the tenant when no tenant has that
    /// name (case-insensitive). With no <paramref name="password"/> a random one is generated and returned once.
    /// </summary>
    public async Task<Result<CreatedPortalUser>> CreateUserAsync(
        string tenantName, string email, string? password, bool isTenantAdmin, Guid? newTenantId = null, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        tenantName = tenantName?.Trim() ?? "";
        email = email?.Trim() ?? "";
        Add(errors, TenantNameField, FieldRules.Required(tenantName, "Tenant name")
            ?? FieldRules.MaxLength(tenantName, FieldRules.NameMaxLength, "Tenant name"));
        Add(errors, EmailField, FieldRules.Email(email, "Email"));
        if (!errors.ContainsKey(EmailField) && await users.FindByEmailAsync(email) is not null)
        {
            errors[EmailField] = $"A user with the email {email} already exists.";
        }

        var generated = string.IsNullOrEmpty(password) ? GeneratePassword() : null;
        password = generated ?? password!;
        var probe = new PortalUser { UserName = email, Email = email };
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, probe, password);
            if (!check.Succeeded)
            {
                errors.TryAdd(PasswordField, string.Join(" ", check.Errors.Select(e => e.Description)));
            }
        }
        if (errors.Count > 0)
        {
            return Result<CreatedPortalUser>.Invalid(errors);
        }

        var (tenant, tenantCreated) = await EnsureTenantAsync(tenantName, newTenantId, ct);
        if (isTenantAdmin && !await roles.RoleExistsAsync(Roles.TenantAdmin))
        {
            Check(await roles.CreateAsync(new IdentityRole(Roles.TenantAdmin)), "create the TenantAdmin role");
        }

        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, TenantId = tenant.Id };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            if (tenantCreated)
            {
                await DeleteEmptyTenantAsync(tenant.Id, ct);
            }
            return Result<CreatedPortalUser>.Invalid(EmailField, string.Join(" ", created.Errors.Select(e => e.Description)));
        }
        if (isTenantAdmin)
        {
            Check(await users.AddToRoleAsync(user, Roles.TenantAdmin), "add the user to the TenantAdmin role");
        }

        logger.LogInformation("User {UserId} created in tenant {TenantId} (tenant admin: {IsTenantAdmin})", user.Id, tenant.Id, isTenantAdmin);
        return Result<CreatedPortalUser>.Ok(new CreatedPortalUser(
            tenant.Id, tenant.Name, tenantCreated, user.Id, email, isTenantAdmin, generated));
    }

    /// <summary>The tenant with this name, or a new one (with <paramref name="newTenantId"/> when given).</summary>
    public async Task<(Tenant Tenant, bool Created)> EnsureTenantAsync(string name, Guid? newTenantId = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = newTenantId is { } id
            ? await db.Tenants.FirstOrDefaultAsync(t => t.Id == id, ct)
            // upper() on both providers (SQLite's NOCASE collation does not exist on PostgreSQL).
            : await db.Tenants.FirstOrDefaultAsync(t => t.Name.ToUpper() == name.ToUpper(), ct);
        if (existing is not null)
        {
            return (existing, false);
        }
        var tenant = new Tenant { Id = newTenantId ?? Guid.NewGuid(), Name = name, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Tenant {TenantId} ({TenantName}) created", tenant.Id, tenant.Name);
        return (tenant, true);
    }

    public static string GeneratePassword() => RandomNumberGenerator.GetString(PasswordAlphabet, GeneratedPasswordLength);

    private async Task DeleteEmptyTenantAsync(Guid tenantId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Tenants.Where(t => t.Id == tenantId).ExecuteDeleteAsync(ct);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    private static void Add(Dictionary<string, string> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = message;
        }
    }
}
