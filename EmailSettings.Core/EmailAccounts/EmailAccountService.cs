using EmailSettings.Core.Alerts;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.EmailAccounts;

/// <summary>The tenant's email accounts. Every call is limited to the caller's tenant and needs its admin role.</summary>
public sealed class EmailAccountService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    SecretProtector secrets,
    OAuthGrantStore grants,
    TimeProvider clock,
    IEnumerable<IEmailAccountChangeListener> listeners,
    ILogger<EmailAccountService> logger)
{
    public const string NotFoundMessage = "This email account no longer exists.";
    public const string NoServerMessage = "Add a mail server before creating an email account.";
    public const string DuplicateMessage = "An account with this email address already exists.";
    public const string UnknownServerMessage = "The selected mail server does not exist. Choose another one.";
    public const string AddressLockedMessage = "The email address cannot be changed after the account is created.";

    /// <summary>The tenant's accounts in <see cref="DisplayOrder"/>: by display name ignoring case, then by id.</summary>
    public async Task<IReadOnlyList<EmailAccountSummary>> ListAsync(CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var accounts = await Summaries(db, db.EmailAccounts.Where(a => a.TenantId == tenantId)).ToListAsync(ct);
        return DisplayOrder.ByName(await WithGrantsAsync(db, tenantId, accounts, ct), a => a.DisplayName, a => a.Id);
    }

    public async Task<EmailAccountSummary?> GetAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var found = await Summaries(db, db.EmailAccounts.Where(a => a.Id == id && a.TenantId == tenantId)).FirstOrDefaultAsync(ct);
        return found is null ? null : (await WithGrantsAsync(db, tenantId, [found], ct))[0];
    }

    /// <summary>
    /// Reconnect from the card: attaches the sign-in just completed for this account in place of its dead grant, and
    /// starts its scheduled syncs again (a first one at once). The problem sinks hear that it works again.
    /// </summary>
    public async Task<Result<EmailAccountSummary>> ReconnectAsync(int id, Guid grantId, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var account = await db.EmailAccounts.FirstOrDefaultAsync(a => a.Id == id && a.TenantId == tenantId, ct);
            if (account is null)
            {
                return Result<EmailAccountSummary>.NotFound(NotFoundMessage);
            }
            var now = clock.GetUtcNow().UtcDateTime;
            var (error, replacedDead) = await grants.AttachAsync(db, tenantId, grantId, OAuthTargetKind.EmailAccount, id, isNewRecord: false, account.ImapOAuthProvider, now, ct);
            if (error is not null)
            {
                return Result<EmailAccountSummary>.Invalid(nameof(EmailAccountInput.ImapOAuthGrantId), error);
            }
            account.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            if (replacedDead)
            {
                await grants.ReconnectedAsync(tenantId, OAuthTargetKind.EmailAccount, id, account.DisplayName, account.ImapOAuthProvider!, now);
            }
        }
        logger.LogInformation("Email account {AccountId} of tenant {TenantId} reconnected with OAuth2", id, tenantId);
        await NotifySavedAsync(tenantId, id, ct);
        return Result<EmailAccountSummary>.Ok((await GetAsync(id, ct))!);
    }

    /// <summary>The Edit dialog's model, pre-filled; the password stays blank. Null when not in this tenant.</summary>
    public async Task<EmailAccountInput?> GetForEditAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var input = await db.EmailAccounts.AsNoTracking()
            .Where(a => a.Id == id && a.TenantId == tenantId)
            .Select(a => new EmailAccountInput
            {
                EmailAddress = a.EmailAddress,
                DisplayName = a.DisplayName,
                MailServerId = a.MailServerId,
                IsDefault = a.IsDefault,
                ImapHost = a.ImapHost,
                ImapPort = a.ImapPort,
                ImapUsername = a.ImapUsername,
                ImapUseTls = a.ImapUseTls,
                ImapPinnedCertificateSha256 = a.ImapPinnedCertificateSha256,
                PushEnabled = a.PushEnabled,
                HasStoredImapPassword = a.ImapPasswordProtected != null,
                ImapSignInMethod = a.ImapSignInMethod,
                ImapOAuthProvider = a.ImapOAuthProvider,
            })
            .FirstOrDefaultAsync(ct);
        if (input is not null)
        {
            var folders = await db.SyncFolders.AsNoTracking().Where(f => f.EmailAccountId == id && f.TenantId == tenantId)
                .Select(f => f.Name).ToListAsync(ct);
            // An account saved before folders existed syncs INBOX, as the sync gives it one.
            input.Folders = folders.Count == 0 ? [SyncFolder.Inbox] : [.. SyncFolder.InDisplayOrder(folders, f => f)];
            input.ImapOAuthGrant = (await grants.InfoAsync(db, tenantId, OAuthTargetKind.EmailAccount, [id], ct)).GetValueOrDefault(id);
        }
        return input;
    }

    public async Task<Result<EmailAccountSummary>> CreateAsync(EmailAccountInput input, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var errors = input.Validate(isCreate: true);
        var normalized = input.EmailAddress.Trim().ToUpperInvariant();

        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
        if (!await db.MailServers.AnyAsync(s => s.TenantId == tenantId, ct))
        {
            return Result<EmailAccountSummary>.Invalid(
                new Dictionary<string, string>(errors) { [nameof(EmailAccountInput.MailServerId)] = NoServerMessage },
                NoServerMessage);
        }
        await CheckServerAsync(db, tenantId, input.MailServerId, errors, ct);
        if (!errors.ContainsKey(nameof(EmailAccountInput.EmailAddress))
            && await db.EmailAccounts.AnyAsync(a => a.TenantId == tenantId && a.NormalizedEmailAddress == normalized, ct))
        {
            errors[nameof(EmailAccountInput.EmailAddress)] = DuplicateMessage;
        }
        if (errors.Count > 0)
        {
            return Result<EmailAccountSummary>.Invalid(errors);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var account = new EmailAccount
        {
            TenantId = tenantId,
            EmailAddress = input.EmailAddress.Trim(),
            NormalizedEmailAddress = normalized,
            CreatedAt = now,
        };
        Apply(account, input, now);
        if (account.IsDefault)
        {
            await ClearDefaultAsync(db, tenantId, exceptId: null, ct);
        }
        db.EmailAccounts.Add(account);
        try
        {
            await db.SaveChangesAsync(ct);
            await SetFoldersAsync(db, account, input.NormalizedFolders(), now, ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            // Another request added the same address between our check and this insert.
            return Result<EmailAccountSummary>.Invalid(nameof(EmailAccountInput.EmailAddress), DuplicateMessage);
        }
        if (await ApplySignInAsync(db, tenantId, account, input, isNew: true, now, ct) is { } signInError)
        {
            return signInError;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        logger.LogInformation("Email account {AccountId} added to tenant {TenantId}", account.Id, tenantId);
        await NotifySavedAsync(tenantId, account.Id, ct);
        return Result<EmailAccountSummary>.Ok((await GetAsync(account.Id, ct))!);
    }

    public async Task<Result<EmailAccountSummary>> UpdateAsync(int id, EmailAccountInput input, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
        var account = await db.EmailAccounts.FirstOrDefaultAsync(a => a.Id == id && a.TenantId == tenantId, ct);
        if (account is null)
        {
            return Result<EmailAccountSummary>.NotFound(NotFoundMessage);
        }

        var errors = input.Validate(isCreate: false, hasStoredImapPassword: account.ImapPasswordProtected is not null);
        if (!string.IsNullOrWhiteSpace(input.EmailAddress) && input.EmailAddress.Trim() != account.EmailAddress)
        {
            errors[nameof(EmailAccountInput.EmailAddress)] = AddressLockedMessage;
        }
        await CheckServerAsync(db, tenantId, input.MailServerId, errors, ct);
        if (errors.Count > 0)
        {
            return Result<EmailAccountSummary>.Invalid(errors);
        }

        var mailboxChanged = !string.Equals(account.ImapHost, Clean(input.ImapHost), StringComparison.OrdinalIgnoreCase)
            || account.ImapUsername != Clean(input.ImapUsername);
        var now = clock.GetUtcNow().UtcDateTime;
        Apply(account, input, now);
        if (mailboxChanged)
        {
            // Messages and the sync positions belong to the old mailbox; start afresh from the new one.
            await db.SyncedMessages.Where(m => m.EmailAccountId == id).ExecuteDeleteAsync(ct);
            await db.SyncFolders.Where(f => f.EmailAccountId == id).ExecuteUpdateAsync(s => s
                .SetProperty(f => f.UidValidity, (long?)null)
                .SetProperty(f => f.LastSyncedUid, 0)
                .SetProperty(f => f.HighestModSeq, (long?)null), ct);
        }
        if (account.IsDefault)
        {
            await ClearDefaultAsync(db, tenantId, exceptId: id, ct);
        }
        if (await ApplySignInAsync(db, tenantId, account, input, isNew: false, now, ct) is { } signInError)
        {
            return signInError;
        }
        await db.SaveChangesAsync(ct);
        await SetFoldersAsync(db, account, input.NormalizedFolders(), now, ct);
        await tx.CommitAsync(ct);

        logger.LogInformation("Email account {AccountId} updated in tenant {TenantId}", id, tenantId);
        await NotifySavedAsync(tenantId, id, ct);
        return Result<EmailAccountSummary>.Ok((await GetAsync(id, ct))!);
    }

    /// <summary>Deletes the account with its synced messages; a sync running for it is cancelled.</summary>
    public async Task<Result<EmailAccountSummary>> DeleteAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var existing = await GetAsync(id, ct);
        if (existing is null)
        {
            return Result<EmailAccountSummary>.NotFound(NotFoundMessage);
        }
        foreach (var listener in listeners)
        {
            await listener.AccountDeletedAsync(tenantId, id, ct);
        }
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        await db.EmailAccounts.Where(a => a.Id == id && a.TenantId == tenantId).ExecuteDeleteAsync(ct);

        logger.LogInformation("Email account {AccountId} deleted from tenant {TenantId}", id, tenantId);
        return Result<EmailAccountSummary>.Ok(existing);
    }

    /// <summary>Makes this account the tenant's default and clears the previous default, atomically.</summary>
    public async Task<Result<EmailAccountSummary>> SetDefaultAsync(int id, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            await using var tx = await db.BeginTenantWriteAsync(tenantId, ct);
            if (!await db.EmailAccounts.AnyAsync(a => a.Id == id && a.TenantId == tenantId, ct))
            {
                return Result<EmailAccountSummary>.NotFound(NotFoundMessage);
            }
            await ClearDefaultAsync(db, tenantId, exceptId: id, ct);
            await db.EmailAccounts.Where(a => a.TenantId == tenantId && a.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.IsDefault, true), ct);
            await tx.CommitAsync(ct);
        }
        logger.LogInformation("Email account {AccountId} is now the default of tenant {TenantId}", id, tenantId);
        return Result<EmailAccountSummary>.Ok((await GetAsync(id, ct))!);
    }

    private static async Task CheckServerAsync(
        EmailSettingsDbContext db, Guid tenantId, int? serverId, Dictionary<string, string> errors, CancellationToken ct)
    {
        if (serverId is { } sid && !await db.MailServers.AnyAsync(s => s.Id == sid && s.TenantId == tenantId, ct))
        {
            errors[nameof(EmailAccountInput.MailServerId)] = UnknownServerMessage;
        }
    }

    /// <summary>
    /// Makes the account sync exactly <paramref name="names"/>: a folder no longer chosen goes with its messages (the
    /// database cascades), a new one starts with no sync state, one kept keeps its state and messages.
    /// </summary>
    private static async Task SetFoldersAsync(EmailSettingsDbContext db, EmailAccount account, IReadOnlyList<string> names, DateTime now, CancellationToken ct)
    {
        var existing = await db.SyncFolders.Where(f => f.EmailAccountId == account.Id).Select(f => new { f.Id, f.Name }).ToListAsync(ct);
        var dropped = existing.Where(f => !names.Contains(f.Name, StringComparer.Ordinal)).Select(f => f.Id).ToList();
        if (dropped.Count > 0)
        {
            await db.SyncFolders.Where(f => f.EmailAccountId == account.Id && dropped.Contains(f.Id)).ExecuteDeleteAsync(ct);
        }
        var added = names.Where(n => !existing.Any(f => string.Equals(f.Name, n, StringComparison.Ordinal))).ToList();
        if (added.Count > 0)
        {
            db.SyncFolders.AddRange(added.Select(name => new SyncFolder
            {
                TenantId = account.TenantId, EmailAccountId = account.Id, Name = name, CreatedAt = now,
            }));
            await db.SaveChangesAsync(ct);
        }
    }

    private static Task<int> ClearDefaultAsync(EmailSettingsDbContext db, Guid tenantId, int? exceptId, CancellationToken ct) =>
        db.EmailAccounts.Where(a => a.TenantId == tenantId && a.IsDefault && a.Id != exceptId)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.IsDefault, false), ct);

    private void Apply(EmailAccount account, EmailAccountInput input, DateTime now)
    {
        account.DisplayName = input.DisplayName.Trim();
        account.MailServerId = input.MailServerId;
        account.IsDefault = input.IsDefault;
        account.ImapHost = Clean(input.ImapHost);
        account.ImapPort = input.ImapPort;
        account.ImapUseTls = input.ImapUseTls;
        account.ImapUsername = Clean(input.ImapUsername);
        account.ImapSignInMethod = input.ImapSignInMethod;
        account.ImapOAuthProvider = input.ImapSignInMethod == SignInMethod.OAuth2 ? Clean(input.ImapOAuthProvider) : null;
        if (account.ImapUsername is null || account.ImapSignInMethod == SignInMethod.OAuth2)
        {
            // No IMAP sign-in, or one with a token: a stored password would only be a liability.
            account.ImapPasswordProtected = null;
        }
        else if (!string.IsNullOrEmpty(input.ImapPassword))
        {
            account.ImapPasswordProtected = secrets.Protect(SecretKind.ImapPassword, input.ImapPassword);
        }
        account.ImapPinnedCertificateSha256 = Clean(input.ImapPinnedCertificateSha256)?.ToUpperInvariant();
        account.PushEnabled = input.PushEnabled;
        account.UpdatedAt = now;
    }

    /// <summary>
    /// OAuth2: attaches the dialog's new sign-in (the previous grant goes); Password: the account's grant goes. Returns
    /// the form's error when the sign-in cannot be used.
    /// </summary>
    private async Task<Result<EmailAccountSummary>?> ApplySignInAsync(EmailSettingsDbContext db, Guid tenantId, EmailAccount account,
        EmailAccountInput input, bool isNew, DateTime now, CancellationToken ct)
    {
        if (account.ImapSignInMethod != SignInMethod.OAuth2)
        {
            await OAuthGrantStore.DetachAllAsync(db, tenantId, OAuthTargetKind.EmailAccount, account.Id, ct);
            return null;
        }
        if (input.ImapOAuthGrantId is not { } grantId)
        {
            return null;
        }
        var (error, replacedDead) = await grants.AttachAsync(db, tenantId, grantId, OAuthTargetKind.EmailAccount, account.Id, isNew, account.ImapOAuthProvider, now, ct);
        if (error is not null)
        {
            return Result<EmailAccountSummary>.Invalid(nameof(EmailAccountInput.ImapOAuthGrantId), error);
        }
        if (replacedDead)
        {
            await grants.ReconnectedAsync(tenantId, OAuthTargetKind.EmailAccount, account.Id, account.DisplayName, account.ImapOAuthProvider!, now);
        }
        return null;
    }

    private async Task<IReadOnlyList<EmailAccountSummary>> WithGrantsAsync(EmailSettingsDbContext db, Guid tenantId, List<EmailAccountSummary> list, CancellationToken ct)
    {
        var oauth = list.Where(a => a.ImapSignInMethod == SignInMethod.OAuth2).Select(a => a.Id).ToList();
        var found = await grants.InfoAsync(db, tenantId, OAuthTargetKind.EmailAccount, oauth, ct);
        return found.Count == 0 ? list : list.Select(a => found.TryGetValue(a.Id, out var g) ? a with { ImapOAuth = g } : a).ToList();
    }

    private async Task NotifySavedAsync(Guid tenantId, int id, CancellationToken ct)
    {
        foreach (var listener in listeners)
        {
            await listener.AccountSavedAsync(tenantId, id, ct);
        }
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static IQueryable<EmailAccountSummary> Summaries(EmailSettingsDbContext db, IQueryable<EmailAccount> accounts) =>
        accounts.AsNoTracking()
            .Select(a => new EmailAccountSummary(
                a.Id, a.EmailAddress, a.DisplayName, a.MailServerId,
                a.MailServer == null ? null : a.MailServer.Name,
                a.IsDefault, a.ImapHost, a.ImapPort, a.ImapUsername, a.ImapUseTls,
                a.ImapPasswordProtected != null, a.ImapPinnedCertificateSha256,
                a.CreatedAt, a.UpdatedAt,
                a.LastSyncStartedAt, a.LastSyncSucceededAt, a.LastSyncFailedAt,
                a.LastSyncError, a.LastSyncErrorKind, a.FailingSince, a.ConsecutiveSyncFailures,
                db.SyncedMessages.Count(m => m.EmailAccountId == a.Id),
                a.ImapSignInMethod, a.ImapOAuthProvider, null)
            {
                PushEnabled = a.PushEnabled,
                // An edit after the pause resumes the schedule at once (AccountAlerts.PausedAt says the same).
                SyncPausedAt = a.SyncPausedAt != null && a.UpdatedAt <= a.SyncPausedAt ? a.SyncPausedAt : null,
                Problems = db.AccountAlerts.Where(x => x.EmailAccountId == a.Id)
                    .OrderBy(x => x.RaisedAt)
                    .Select(x => new AccountProblem(x.Kind, x.Reason, x.Since, x.RaisedAt))
                    .ToList(),
            });
}
