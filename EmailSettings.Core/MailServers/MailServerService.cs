using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.OAuth;
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
    OAuthGrantStore grants,
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
        return DisplayOrder.ByName(await WithGrantsAsync(db, tenantId, servers, ct), s => s.Name, s => s.Id);
    }

    public async Task<MailServerSummary?> GetAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var found = await Summaries(db.MailServers.Where(s => s.Id == id && s.TenantId == tenantId)).FirstOrDefaultAsync(ct);
        return found is null ? null : (await WithGrantsAsync(db, tenantId, [found], ct))[0];
    }

    /// <summary>
    /// Reconnect from the card: attaches the sign-in just completed for this server in place of its dead grant. The
    /// problem sinks hear that it works again.
    /// </summary>
    public async Task<Result<MailServerSummary>> ReconnectAsync(int id, Guid grantId, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var server = await db.MailServers.FirstOrDefaultAsync(s => s.Id == id && s.TenantId == tenantId, ct);
            if (server is null)
            {
                return Result<MailServerSummary>.NotFound(NotFoundMessage);
            }
            var now = clock.GetUtcNow().UtcDateTime;
            var (error, replacedDead) = await grants.AttachAsync(db, tenantId, grantId, OAuthTargetKind.MailServer, id, isNewRecord: false, server.OAuthProvider, now, ct);
            if (error is not null)
            {
                return Result<MailServerSummary>.Invalid(nameof(MailServerInput.OAuthGrantId), error);
            }
            server.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            if (replacedDead)
            {
                await grants.ReconnectedAsync(tenantId, OAuthTargetKind.MailServer, id, server.Name, server.OAuthProvider!, now);
            }
        }
        logger.LogInformation("Mail server {ServerId} of tenant {TenantId} reconnected with OAuth2", id, tenantId);
        return Result<MailServerSummary>.Ok((await GetAsync(id, ct))!);
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
                SignInMethod = s.SignInMethod,
                OAuthProvider = s.OAuthProvider,
            })
            .FirstOrDefaultAsync(ct) is { } input
            ? WithGrant(input, await grants.InfoAsync(db, tenantId, OAuthTargetKind.MailServer, [id], ct), id)
            : null;
    }

    private static MailServerInput WithGrant(MailServerInput input, Dictionary<int, OAuthGrantInfo> found, int id)
    {
        input.OAuthGrant = found.GetValueOrDefault(id);
        return input;
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
        if (await ApplySignInAsync(db, tenantId, server, input, isNew: true, now, ct) is { } signInError)
        {
            return signInError;
        }
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
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var server = await db.MailServers.FirstOrDefaultAsync(s => s.Id == id && s.TenantId == tenantId, ct);
        if (server is null)
        {
            return Result<MailServerSummary>.NotFound(NotFoundMessage);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        Apply(server, input, now);
        if (await ApplySignInAsync(db, tenantId, server, input, isNew: false, now, ct) is { } signInError)
        {
            return signInError;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

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

    /// <summary>
    /// OAuth2: attaches the dialog's new sign-in (the previous grant goes); Password: the server's grant goes. Returns
    /// the form's error when the sign-in cannot be used.
    /// </summary>
    private async Task<Result<MailServerSummary>?> ApplySignInAsync(EmailSettingsDbContext db, Guid tenantId, MailServer server,
        MailServerInput input, bool isNew, DateTime now, CancellationToken ct)
    {
        if (server.SignInMethod != SignInMethod.OAuth2)
        {
            await OAuthGrantStore.DetachAllAsync(db, tenantId, OAuthTargetKind.MailServer, server.Id, ct);
            return null;
        }
        if (input.OAuthGrantId is not { } grantId)
        {
            return null;
        }
        var (error, replacedDead) = await grants.AttachAsync(db, tenantId, grantId, OAuthTargetKind.MailServer, server.Id, isNew, server.OAuthProvider, now, ct);
        if (error is not null)
        {
            return Result<MailServerSummary>.Invalid(nameof(MailServerInput.OAuthGrantId), error);
        }
        if (replacedDead)
        {
            await grants.ReconnectedAsync(tenantId, OAuthTargetKind.MailServer, server.Id, server.Name, server.OAuthProvider!, now);
        }
        return null;
    }

    private async Task<IReadOnlyList<MailServerSummary>> WithGrantsAsync(EmailSettingsDbContext db, Guid tenantId, List<MailServerSummary> list, CancellationToken ct)
    {
        var oauth = list.Where(s => s.SignInMethod == SignInMethod.OAuth2).Select(s => s.Id).ToList();
        var found = await grants.InfoAsync(db, tenantId, OAuthTargetKind.MailServer, oauth, ct);
        return found.Count == 0 ? list : list.Select(s => found.TryGetValue(s.Id, out var g) ? s with { OAuth = g } : s).ToList();
    }

    private void Apply(MailServer server, MailServerInput input, DateTime now)
    {
        server.Name = input.Name.Trim();
        server.SmtpHost = input.SmtpHost.Trim();
        server.SmtpPort = input.SmtpPort;
        server.UseTls = input.UseTls;
        server.SmtpUsername = string.IsNullOrWhiteSpace(input.SmtpUsername) ? null : input.SmtpUsername.Trim();
        server.SignInMethod = input.SignInMethod;
        server.OAuthProvider = input.SignInMethod == SignInMethod.OAuth2 ? input.OAuthProvider?.Trim() : null;
        if (server.SignInMethod == SignInMethod.OAuth2)
        {
            // Signing in with a token: a stored password would only be a liability.
            server.SmtpPasswordProtected = null;
        }
        else if (server.SmtpUsername is null)
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
                s.PinnedCertificateSha256, s.CreatedAt, s.UpdatedAt, s.SignInMethod, s.OAuthProvider, null));
}
