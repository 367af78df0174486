using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.MailServers;

/// <summary>The tenant's outbound SMTP servers. Every call is limited to the caller's tenant and needs its admin role.</summary>
public sealed class MailServerService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    SecretProtector secrets,
    TimeProvider clock,
    ILogger<MailServerService> logger)
{
    public const string NotFoundMessage = "This mail server no longer exists.";

    /// <summary>The tenant's servers in <see cref="DisplayOrder"/>: by name ignoring case, then by id.</summary>
    public async Task<IReadOnlyList<MailServerSummary>> ListAsync(CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var servers = await Summaries(db.MailServers.Where(s => s.TenantId == tenantId)).ToListAsync(ct);
        return DisplayOrder.ByName(servers, s => s.Name, s => s.Id);
    }

    public async Task<MailServerSummary?> GetAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        return await Summaries(db.MailServers.Where(s => s.Id == id && s.TenantId == tenantId)).FirstOrDefaultAsync(ct);
    }

    /// <summary>The Edit dialog's model, pre-filled; the password stays blank. Null when not in this tenant.</summary>
    public async Task<MailServerInput?> GetForEditAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        return await db.MailServers.AsNoTracking()
            .Where(s => s.Id == id && s.TenantId == tenantId)
            .Select(s => new MailServerInput
            {
                Name = s.Name,
                SmtpHost = s.SmtpHost,
                SmtpPort = s.SmtpPort,
                SmtpUsername = s.SmtpUsername,
                UseTls = s.UseTls,
                PinnedCertificateSha256 = s.PinnedCertificateSha256,
                HasStoredPassword = s.SmtpPasswordProtected != null,
            })
            .FirstOrDefaultAsync(ct);
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        return await db.MailServers.AnyAsync(s => s.TenantId == tenantId, ct);
    }

    /// <summary>Adds a server. The tenant's first server becomes its default.</summary>
    public async Task<Result<MailServerSummary>> CreateAsync(MailServerInput input, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return Result<MailServerSummary>.Invalid(errors);
        }

        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var server = new MailServer
        {
            TenantId = tenantId,
            CreatedAt = now,
            IsDefault = !await db.MailServers.AnyAsync(s => s.TenantId == tenantId, ct),
        };
        Apply(server, input, now);
        db.MailServers.Add(server);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        logger.LogInformation("Mail server {ServerId} ({Host}:{Port}) added to tenant {TenantId}", server.Id, server.SmtpHost, server.SmtpPort, tenantId);
        return Result<MailServerSummary>.Ok((await GetAsync(server.Id, ct))!);
    }

    public async Task<Result<MailServerSummary>> UpdateAsync(int id, MailServerInput input, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return Result<MailServerSummary>.Invalid(errors);
        }

        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var server = await db.MailServers.FirstOrDefaultAsync(s => s.Id == id && s.TenantId == tenantId, ct);
        if (server is null)
        {
            return Result<MailServerSummary>.NotFound(NotFoundMessage);
        }
        Apply(server, input, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);

        logger.LogInformation("Mail server {ServerId} updated in tenant {TenantId}", id, tenantId);
        return Result<MailServerSummary>.Ok((await GetAsync(id, ct))!);
    }

    /// <summary>Deletes a server; its accounts stay, without an outbound server. Reports how many were affected.</summary>
    public async Task<Result<MailServerDeleted>> DeleteAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
        var server = await db.MailServers.AsNoTracking()
            .Where(s => s.Id == id && s.TenantId == tenantId)
            .Select(s => new { s.Name, Accounts = s.Accounts.Count })
            .FirstOrDefaultAsync(ct);
        if (server is null)
        {
            return Result<MailServerDeleted>.NotFound(NotFoundMessage);
        }
        // The foreign key's ON DELETE SET NULL unlinks the accounts in the same statement.
        await db.MailServers.Where(s => s.Id == id && s.TenantId == tenantId).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);

        logger.LogInformation("Mail server {ServerId} deleted from tenant {TenantId}; {Accounts} accounts unlinked", id, tenantId, server.Accounts);
        return Result<MailServerDeleted>.Ok(new MailServerDeleted(id, server.Name, server.Accounts));
    }

    /// <summary>Makes this server the tenant's default and clears the previous default, atomically.</summary>
    public async Task<Result<MailServerSummary>> SetDefaultAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
            if (!await db.MailServers.AnyAsync(s => s.Id == id && s.TenantId == tenantId, ct))
            {
                return Result<MailServerSummary>.NotFound(NotFoundMessage);
            }
            await db.MailServers.Where(s => s.TenantId == tenantId && s.IsDefault && s.Id != id)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.IsDefault, false), ct);
            await db.MailServers.Where(s => s.TenantId == tenantId && s.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.IsDefault, true), ct);
            await tx.CommitAsync(ct);
        }
        logger.LogInformation("Mail server {ServerId} is now the default of tenant {TenantId}", id, tenantId);
        return Result<MailServerSummary>.Ok((await GetAsync(id, ct))!);
    }

    private void Apply(MailServer server, MailServerInput input, DateTime now)
    {
        server.Name = input.Name.Trim();
        server.SmtpHost = input.SmtpHost.Trim();
        server.SmtpPort = input.SmtpPort;
        server.UseTls = input.UseTls;
        server.SmtpUsername = string.IsNullOrWhiteSpace(input.SmtpUsername) ? null : input.SmtpUsername.Trim();
        if (server.SmtpUsername is null)
        {
            // Without a username there is no authentication, so a stored password would only be a liability.
            server.SmtpPasswordProtected = null;
        }
        else if (!string.IsNullOrEmpty(input.SmtpPassword))
        {
            server.SmtpPasswordProtected = secrets.Protect(SecretKind.SmtpPassword, input.SmtpPassword);
        }
        server.PinnedCertificateSha256 = string.IsNullOrWhiteSpace(input.PinnedCertificateSha256)
            ? null
            : input.PinnedCertificateSha256.Trim().ToUpperInvariant();
        server.UpdatedAt = now;
    }

    private static IQueryable<MailServerSummary> Summaries(IQueryable<MailServer> servers) =>
        servers.AsNoTracking()
            .Select(s => new MailServerSummary(
                s.Id, s.Name, s.SmtpHost, s.SmtpPort, s.UseTls, s.SmtpUsername,
                s.SmtpPasswordProtected != null, s.IsDefault, s.Accounts.Count,
                s.PinnedCertificateSha256, s.CreatedAt, s.UpdatedAt));
}
