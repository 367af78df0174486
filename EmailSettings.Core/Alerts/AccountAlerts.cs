using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Identity;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Alerts;

/// <summary>
/// The one place that announces account problems: it raises a problem once (one email to the tenant admins, one notice
/// on open pages) and clears it once (one "works again" email and notice), however often either is asked for. The
/// announced problems are rows of <see cref="AccountAlert"/>, so a restart does not announce them again.
/// </summary>
/// <remarks>
/// Sync failures are raised and cleared by the evaluator that reads each sync's outcome; any other Core feature raises
/// its own kind the same way (a dead OAuth grant: <see cref="AccountProblemKind.ReconnectNeeded"/>). Its members are
/// internal: they take a tenant id on trust and act for the account's own tenant. Emails leave through
/// <see cref="IEmailSender"/> in a scope of that tenant, from its default account (or, without one, an account on its
/// default mail server), one after another in a background queue, so a slow SMTP server never holds up a sync.
/// </remarks>
public sealed class AccountAlerts : IAsyncDisposable
{
    private readonly IDbContextFactory<EmailSettingsDbContext> dbFactory;
    private readonly AccountAlertNotifier notifier;
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider clock;
    private readonly ILogger<AccountAlerts> logger;
    private readonly Queue<AccountAlertEvent> outbox = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private Task? mailer;
    private bool mailerRunning;

    public AccountAlerts(
        IDbContextFactory<EmailSettingsDbContext> dbFactory,
        AccountAlertNotifier notifier,
        IServiceScopeFactory scopes,
        TimeProvider clock,
        IHostApplicationLifetime lifetime,
        ILogger<AccountAlerts> logger)
    {
        this.dbFactory = dbFactory;
        this.notifier = notifier;
        this.scopes = scopes;
        this.clock = clock;
        this.logger = logger;
        lifetime.ApplicationStopping.Register(static s => ((CancellationTokenSource)s!).Cancel(), stopping);
    }

    /// <summary>
    /// Announces that the account has <paramref name="kind"/> of problem because of <paramref name="reason"/>, unless
    /// that problem is already announced and not cleared since. Returns true when this call announced it. The reason
    /// is shown to admins as it is: pass scrubbed text (no secrets, no tokens).
    /// </summary>
    /// <param name="since">Since when the problem exists; now when null.</param>
    internal async Task<bool> RaiseAsync(Guid tenantId, int accountId, AccountProblemKind kind, string reason, DateTime? since = null,
        CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var name = await db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == tenantId).Select(a => a.DisplayName).FirstOrDefaultAsync(ct);
        if (name is null || await db.AccountAlerts.AnyAsync(x => x.EmailAccountId == accountId && x.Kind == kind, ct))
        {
            return false;
        }
        var alert = new AccountAlert
        {
            TenantId = tenantId,
            EmailAccountId = accountId,
            Kind = kind,
            Reason = Cut(reason),
            Since = since ?? now,
            RaisedAt = now,
        };
        db.AccountAlerts.Add(alert);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            if (await IsRaisedAsync(tenantId, accountId, kind))
            {
                // Raised by a concurrent call between the check and the insert (the unique index): that one announces it.
                return false;
            }
            throw;
        }
        logger.LogWarning("Account {AccountId} of tenant {TenantId}: {Kind} announced to the tenant admins: {Reason}", accountId, tenantId, kind, alert.Reason);
        await AnnounceAsync(new AccountAlertEvent(tenantId, accountId, name, kind, AccountAlertChange.Raised, alert.Reason, alert.Since, now));
        return true;
    }

    /// <summary>
    /// Ends an announced problem of the account with one "works again" notice. Returns false (and says nothing) when
    /// that problem was not announced.
    /// </summary>
    internal async Task<bool> ClearAsync(Guid tenantId, int accountId, AccountProblemKind kind, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var alert = await db.AccountAlerts.AsNoTracking().FirstOrDefaultAsync(x => x.EmailAccountId == accountId && x.TenantId == tenantId && x.Kind == kind, ct);
        if (alert is null)
        {
            return false;
        }
        // The delete decides who clears it: of two concurrent calls only one removes the row.
        if (await db.AccountAlerts.Where(x => x.Id == alert.Id).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        var name = await db.EmailAccounts.Where(a => a.Id == accountId).Select(a => a.DisplayName).FirstOrDefaultAsync(ct) ?? "";
        logger.LogInformation("Account {AccountId} of tenant {TenantId}: {Kind} is over", accountId, tenantId, kind);
        await AnnounceAsync(new AccountAlertEvent(tenantId, accountId, name, kind, AccountAlertChange.Cleared, null, alert.Since, clock.GetUtcNow().UtcDateTime));
        return true;
    }

    /// <summary>Tells open pages that the account's scheduled syncs paused (no email: the failure was announced already).</summary>
    internal Task PublishPausedAsync(Guid tenantId, int accountId, string accountName, DateTime failingSince) =>
        notifier.PublishAsync(new AccountAlertEvent(tenantId, accountId, accountName, AccountProblemKind.SyncFailing, AccountAlertChange.Paused,
            null, failingSince, clock.GetUtcNow().UtcDateTime));

    /// <summary>The announced problems of the tenant's account and whether its scheduled syncs are paused.</summary>
    internal async Task<AccountHealth?> GetHealthAsync(Guid tenantId, int accountId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var account = await db.EmailAccounts.AsNoTracking().Where(a => a.Id == accountId && a.TenantId == tenantId)
            .Select(a => new { a.SyncPausedAt, a.UpdatedAt })
            .FirstOrDefaultAsync(ct);
        if (account is null)
        {
            return null;
        }
        var problems = await db.AccountAlerts.AsNoTracking().Where(x => x.EmailAccountId == accountId && x.TenantId == tenantId)
            .OrderBy(x => x.RaisedAt)
            .Select(x => new AccountProblem(x.Kind, x.Reason, x.Since, x.RaisedAt))
            .ToListAsync(ct);
        return new AccountHealth(problems, PausedAt(account.SyncPausedAt, account.UpdatedAt));
    }

    /// <summary>The pause as it holds: an edit after the pause resumes the schedule at once.</summary>
    internal static DateTime? PausedAt(DateTime? pausedAt, DateTime updatedAt) => pausedAt is { } p && updatedAt <= p ? p : null;

    /// <summary>Waits until every queued email has been handed to the sender (tests, shutdown).</summary>
    internal async Task DrainAsync()
    {
        Task? running;
        lock (gate)
        {
            running = mailer;
        }
        if (running is not null)
        {
            await running;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await DrainAsync();
        stopping.Dispose();
    }

    private async Task<bool> IsRaisedAsync(Guid tenantId, int accountId, AccountProblemKind kind)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId);
        return await db.AccountAlerts.AnyAsync(x => x.EmailAccountId == accountId && x.Kind == kind);
    }

    private async Task AnnounceAsync(AccountAlertEvent e)
    {
        lock (gate)
        {
            outbox.Enqueue(e);
            // One mailer at a time, started when there is something to send: a host that never alerts runs none.
            if (!mailerRunning)
            {
                mailerRunning = true;
                mailer = Task.Run(SendQueuedAsync, CancellationToken.None);
            }
        }
        await notifier.PublishAsync(e);
    }

    private async Task SendQueuedAsync()
    {
        while (true)
        {
            AccountAlertEvent e;
            lock (gate)
            {
                // Decided under the lock AnnounceAsync takes: a notice queued meanwhile is sent by this loop, never left waiting.
                if (stopping.IsCancellationRequested || !outbox.TryDequeue(out e!))
                {
                    mailerRunning = false;
                    return;
                }
            }
            try
            {
                await EmailAdminsAsync(e, stopping.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                logger.LogWarning("Shutdown: the {Change} notice of account {AccountId} was not emailed", e.Change, e.AccountId);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Emailing the {Change} notice of account {AccountId} of tenant {TenantId} failed", e.Change, e.AccountId, e.TenantId);
            }
        }
    }

    private async Task EmailAdminsAsync(AccountAlertEvent e, CancellationToken ct)
    {
        List<string> admins;
        int? senderAccount;
        string address;
        await using (var db = await dbFactory.CreateForTenantAsync(e.TenantId, ct))
        {
            admins = await TenantAdminEmailsAsync(db, e.TenantId, ct);
            senderAccount = await db.EmailAccounts
                .Where(a => a.TenantId == e.TenantId && a.MailServerId != null && (a.IsDefault || a.MailServer!.IsDefault))
                .OrderByDescending(a => a.IsDefault).ThenBy(a => a.Id)
                .Select(a => (int?)a.Id).FirstOrDefaultAsync(ct);
            address = await db.EmailAccounts.Where(a => a.Id == e.AccountId).Select(a => a.EmailAddress).FirstOrDefaultAsync(ct) ?? "";
        }
        if (admins.Count == 0)
        {
            logger.LogWarning("Tenant {TenantId} has no administrator with an email address: the {Change} notice of account {AccountId} was not emailed",
                e.TenantId, e.Change, e.AccountId);
            return;
        }
        await using var scope = scopes.CreateScopeForTenant(e.TenantId);
        var sender = scope.ServiceProvider.GetRequiredService<IEmailSender>();
        foreach (var recipients in admins.Chunk(OutgoingEmail.MaxRecipients))
        {
            // Without a default account the sender fails with "no default account" and writes that to the email log,
            // where the admins look for mail that did not arrive.
            var result = await sender.SendAsync(new OutgoingEmail(recipients, AlertTexts.Subject(e), AlertTexts.Body(e, address), AccountId: senderAccount), ct);
            if (!result.Succeeded)
            {
                logger.LogWarning("The {Change} notice of account {AccountId} of tenant {TenantId} could not be emailed: {Error}",
                    e.Change, e.AccountId, e.TenantId, result.ErrorMessage);
            }
        }
    }

    /// <summary>The addresses of the tenant's users in the TenantAdmin role.</summary>
    internal static Task<List<string>> TenantAdminEmailsAsync(EmailSettingsDbContext db, Guid tenantId, CancellationToken ct) =>
        (from user in db.Users
         where user.TenantId == tenantId && user.Email != null
         join userRole in db.UserRoles on user.Id equals userRole.UserId
         join role in db.Roles on userRole.RoleId equals role.Id
         where role.Name == Roles.TenantAdmin
         orderby user.Email
         select user.Email!).Distinct().ToListAsync(ct);

    private static string Cut(string text) => text.Length <= FieldRules.ErrorTextMaxLength ? text : text[..FieldRules.ErrorTextMaxLength];
}
