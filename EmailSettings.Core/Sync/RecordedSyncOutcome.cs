using System.Linq.Expressions;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Sync;

/// <summary>The lease of one account's sync: held by the node that runs it, for the whole run.</summary>
internal static class SyncLeases
{
    public const string Scope = "imap-sync";

    public static LeaseKey For(int accountId) => new(Scope, accountId);
}

/// <summary>
/// What the database says about an account's last sync run: the outcome the engine records (timestamps, error,
/// new messages) before its node releases the lease. Another node reads it to report the same outcome for a run it
/// waited for, and to end the spinning icon of a run whose node stopped sending events.
/// </summary>
internal sealed record RecordedSyncOutcome(
    int AccountId,
    Guid TenantId,
    bool IsImapConfigured,
    DateTime? StartedAt,
    DateTime? SucceededAt,
    DateTime? FailedAt,
    int NewMessages,
    string? ErrorKind,
    string? Error)
{
    public const string StoppedMessage = "The sync stopped before it finished; it continues where it stopped on the next run.";

    private DateTime? FinishedAt => SucceededAt is { } s && FailedAt is { } f ? (s > f ? s : f) : SucceededAt ?? FailedAt;

    /// <summary>True when the last run that started has recorded its end.</summary>
    public bool LastRunFinished => StartedAt is { } started && FinishedAt is { } finished && finished >= started;

    /// <summary>The outcome of the last run, or null when the last run that started recorded none (it runs, was cancelled, or its node died).</summary>
    public SyncOutcome? Outcome
    {
        get
        {
            if (!LastRunFinished)
            {
                return null;
            }
            if (SucceededAt is { } succeeded && succeeded >= StartedAt && (FailedAt is null || succeeded >= FailedAt))
            {
                return SyncOutcome.Success(NewMessages);
            }
            var kind = Enum.TryParse<SyncErrorKind>(ErrorKind, out var parsed) ? parsed : SyncErrorKind.Other;
            return SyncOutcome.Failure(kind, Error ?? "The sync failed.");
        }
    }

    /// <summary>
    /// The outcome of a run that started after <paramref name="before"/> was read, or that was running then; null when
    /// no such run has recorded an outcome.
    /// </summary>
    public SyncOutcome? OutcomeSince(RecordedSyncOutcome before)
    {
        if (!LastRunFinished)
        {
            return null;
        }
        var newer = before.StartedAt is not { } earlier
            || StartedAt > earlier
            || (StartedAt == earlier && !before.LastRunFinished);
        return newer ? Outcome : null;
    }

    /// <summary>The event that ends a run on the pages, as the record tells it.</summary>
    public SyncProgress EndEvent(DateTime at) => Outcome switch
    {
        { Succeeded: true } success => new SyncProgress(TenantId, AccountId, SyncEventKind.Completed, 0, 0, success.NewMessages, null, null, at),
        { } failure => new SyncProgress(TenantId, AccountId, SyncEventKind.Failed, 0, 0, 0, failure.ErrorKind, failure.Error, at),
        null => new SyncProgress(TenantId, AccountId, SyncEventKind.Failed, 0, 0, 0, SyncErrorKind.Cancelled, StoppedMessage, at),
    };

    private static readonly Expression<Func<EmailAccount, RecordedSyncOutcome>> FromAccount = a => new RecordedSyncOutcome(
        a.Id, a.TenantId, a.ImapHost != null && a.ImapUsername != null && a.ImapPasswordProtected != null,
        a.LastSyncStartedAt, a.LastSyncSucceededAt, a.LastSyncFailedAt, a.LastSyncNewMessages, a.LastSyncErrorKind, a.LastSyncError);

    /// <summary>The account's record, or null when the account does not exist (for that tenant, when one is given).</summary>
    public static async Task<RecordedSyncOutcome?> ReadAsync(
        IDbContextFactory<EmailSettingsDbContext> dbFactory, Guid? tenantId, int accountId, CancellationToken ct)
    {
        await using var db = tenantId is { } tenant
            ? await dbFactory.CreateForTenantAsync(tenant, ct)
            : await dbFactory.CreateForAllTenantsAsync(ct);
        return await db.EmailAccounts.AsNoTracking()
            .Where(a => a.Id == accountId && (tenantId == null || a.TenantId == tenantId))
            .Select(FromAccount)
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>The records of several accounts of any tenant, by id (for the cross-node catch-up).</summary>
    public static async Task<Dictionary<int, RecordedSyncOutcome>> ReadManyAsync(
        IDbContextFactory<EmailSettingsDbContext> dbFactory, IReadOnlyCollection<int> accountIds, CancellationToken ct)
    {
        if (accountIds.Count == 0)
        {
            return [];
        }
        // The second of the two Core passes that act for every tenant (the first is the sync scheduler's start-up):
        // each event it makes goes only to the subscribers of the account's own tenant.
        await using var db = await dbFactory.CreateForAllTenantsAsync(ct);
        var ids = accountIds.ToList();
        return await db.EmailAccounts.AsNoTracking()
            .Where(a => ids.Contains(a.Id))
            .Select(FromAccount)
            .ToDictionaryAsync(r => r.AccountId, ct);
    }
}
