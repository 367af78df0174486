using System.Net.Sockets;
using System.Text;
using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Secrets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The sync engine: mirrors the folders an account syncs (INBOX unless the admin chose others) into the database,
/// incrementally and read-only. New messages are added, messages expunged on the server are removed, and the flags
/// \Seen, \Flagged and \Answered follow the server. Callers go through <see cref="SyncCoordinator"/>, which makes sure
/// one account never syncs twice at once.
/// </summary>
/// <remarks>
/// Invariants:
/// <list type="bullet">
/// <item>Folders are opened with EXAMINE (read-only), so the server never sets \Seen, and nothing is stored, moved or
/// expunged there: removing a message here never touches the server.</item>
/// <item>Every batch of new messages is committed in one transaction together with its folder's <c>LastSyncedUid</c>:
/// an interrupted run has stored exactly the batches it committed, and the next run continues after them.</item>
/// <item>With CONDSTORE, a folder's HIGHESTMODSEQ is stored only in the transaction of its last batch, so an equal
/// HIGHESTMODSEQ plus UIDNEXT not beyond <c>LastSyncedUid</c> means "nothing changed" without looking at any message
/// (O(1)): expunges and flag changes raise HIGHESTMODSEQ too (RFC 7162).</item>
/// <item>Removals and flag changes found in a run are committed before its new messages, under the old HIGHESTMODSEQ:
/// an interrupted run finds them again, and applying them twice changes nothing.</item>
/// <item>Each folder has its own UIDVALIDITY: a reset re-syncs that folder from scratch and leaves the others alone.</item>
/// </list>
/// </remarks>
public sealed class ImapSyncService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    SecretProtector secrets,
    MailCredentials credentials,
    SyncProgressNotifier notifier,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<ImapSyncService> logger)
{
    /// <summary>UIDs per <c>IN (...)</c> list of one statement.</summary>
    private const int UidsPerStatement = 500;

    /// <summary>Consecutive UIDs compared by one count and sum when looking for expunged messages without QRESYNC.</summary>
    private const int CompareBucketSize = 256;

    /// <summary>Syncs one account and records the outcome on it. Never throws for mail or network failures.</summary>
    internal async Task<SyncOutcome> SyncAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        EmailAccount account;
        List<SyncFolder> folders;
        HashSet<int> mixedFolders;
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            // One query: the account, its folders, and which folders hold rows of a UIDVALIDITY other than their
            // stored one (an interrupted re-sync after the server renumbered it). Two index range seeks per folder.
            var found = await db.EmailAccounts.AsNoTracking()
                .Where(a => a.Id == accountId && a.TenantId == tenantId)
                .Select(a => new
                {
                    Account = a,
                    Folders = db.SyncFolders.Where(f => f.EmailAccountId == a.Id && f.TenantId == a.TenantId)
                        .Select(f => new
                        {
                            Folder = f,
                            Mixed = db.SyncedMessages.Any(m => m.SyncFolderId == f.Id && m.UidValidity < f.UidValidity)
                                || db.SyncedMessages.Any(m => m.SyncFolderId == f.Id && m.UidValidity > f.UidValidity),
                        })
                        .ToList(),
                })
                .FirstOrDefaultAsync(ct);
            if (found is null)
            {
                return SyncOutcome.NotFound;
            }
            account = found.Account;
            if (!account.IsImapConfigured)
            {
                return SyncOutcome.NotConfigured;
            }
            folders = [.. found.Folders.Select(f => f.Folder)];
            mixedFolders = [.. found.Folders.Where(f => f.Mixed).Select(f => f.Folder.Id)];
        }

        var startedAt = Now;
        // Whatever happens below, open pages must hear that the sync ended, or the icon would spin forever.
        var ended = false;
        try
        {
            MailCredential? credential = null;
            try
            {
                // Independent of each other: the write and the event go at once.
                await Task.WhenAll(
                    UpdateAccountAsync(tenantId, accountId, a => a.SetProperty(x => x.LastSyncStartedAt, startedAt)),
                    notifier.PublishAsync(Event(account, SyncEventKind.Started)));
                if (folders.Count == 0)
                {
                    folders = [await AddInboxAsync(account, ct)];
                }
                credential = await ImapAccountSession.CredentialAsync(account, credentials, secrets, ct);
                var run = new RunProgress { MixedAtStart = mixedFolders };
                await RunAsync(account, [.. SyncFolder.InDisplayOrder(folders, f => f.Name)], credential, run, ct);
                var changes = run.Changes;
                var succeededAt = Now;
                await UpdateAccountAsync(tenantId, accountId, a => a
                    .SetProperty(x => x.LastSyncSucceededAt, succeededAt)
                    .SetProperty(x => x.LastSyncNewMessages, changes.Added)
                    .SetProperty(x => x.LastSyncError, (string?)null)
                    .SetProperty(x => x.LastSyncErrorKind, (string?)null)
                    .SetProperty(x => x.FailingSince, (DateTime?)null)
                    .SetProperty(x => x.ConsecutiveSyncFailures, 0));
                logger.LogInformation(
                    "Synced account {AccountId} of tenant {TenantId}: {NewMessages} new, {Removed} removed, {Updated} with changed flags in {Folders} folders in {Elapsed} ms",
                    accountId, tenantId, changes.Added, changes.Removed, changes.Updated, folders.Count, (int)(Now - startedAt).TotalMilliseconds);
                await notifier.PublishAsync(Event(account, SyncEventKind.Completed) with
                {
                    NewMessages = changes.Added,
                    Removed = changes.Removed,
                    Updated = changes.Updated,
                });
                ended = true;
                return SyncOutcome.Success(changes.Added) with { Removed = changes.Removed, Updated = changes.Updated };
            }
            catch (Exception ex) when (ct.IsCancellationRequested || ex is AccountGoneException)
            {
                // Cancelled by shutdown or by deleting the account: not a failure of the mailbox, so nothing is recorded.
                logger.LogInformation("Sync of account {AccountId} of tenant {TenantId} was cancelled", accountId, tenantId);
                await notifier.PublishAsync(Event(account, SyncEventKind.Failed) with
                {
                    ErrorKind = SyncErrorKind.Cancelled,
                    Error = "The sync was cancelled.",
                });
                ended = true;
                return SyncOutcome.Failure(SyncErrorKind.Cancelled, "The sync was cancelled.");
            }
            catch (Exception ex)
            {
                var (kind, message) = SyncFailures.Describe(ex, credential?.Scrubber ?? SecretScrubber.None);
                var failedAt = Now;
                await UpdateAccountAsync(tenantId, accountId, a => a
                    .SetProperty(x => x.LastSyncFailedAt, failedAt)
                    .SetProperty(x => x.LastSyncError, message)
                    .SetProperty(x => x.LastSyncErrorKind, kind.ToString())
                    .SetProperty(x => x.FailingSince, x => x.FailingSince ?? failedAt)
                    .SetProperty(x => x.ConsecutiveSyncFailures, x => x.ConsecutiveSyncFailures + 1));
                if (kind == SyncErrorKind.Other && ex is not (SyncFailures.ConnectionFailedException or SyncFailures.FoldersNotFoundException))
                {
                    logger.LogError(ex, "Sync of account {AccountId} of tenant {TenantId} failed unexpectedly", accountId, tenantId);
                }
                else
                {
                    logger.LogWarning("Sync of account {AccountId} of tenant {TenantId} failed ({ErrorKind}): {Error}", accountId, tenantId, kind, message);
                }
                await notifier.PublishAsync(Event(account, SyncEventKind.Failed) with { ErrorKind = kind, Error = message });
                ended = true;
                return SyncOutcome.Failure(kind, message);
            }
        }
        finally
        {
            if (!ended)
            {
                await notifier.PublishAsync(Event(account, SyncEventKind.Failed) with
                {
                    ErrorKind = SyncErrorKind.Other,
                    Error = "The sync stopped unexpectedly. See the application log.",
                });
            }
        }
    }

    /// <summary>
    /// Connects and signs in through the connection layer, turns on QRESYNC when offered, then mirrors each folder in
    /// turn over the one session. A mail or network failure leaves as a <see cref="SyncFailures.ConnectionFailedException"/>
    /// carrying the layer's classification; folders gone from the server are reported after the others are synced.
    /// </summary>
    private async Task RunAsync(EmailAccount account, IReadOnlyList<SyncFolder> folders, MailCredential credential, RunProgress run, CancellationToken ct)
    {
        var settings = options.Value;
        using var connection = new ImapMailConnection(ImapAccountSession.Endpoint(account), credential,
            MailTimeLimit.PerCommand(settings.Timeout, clock, ct));
        var missing = new List<string>();
        try
        {
            await connection.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                throw new SyncFailures.ConnectionFailedException(refusal);
            }
            await connection.EnableQuickResyncEarlyAsync();
            foreach (var folder in folders)
            {
                var mailbox = await connection.FindFolderAsync(folder.Name);
                if (mailbox is null)
                {
                    missing.Add(folder.Name);
                    continue;
                }
                try
                {
                    await MirrorFolderAsync(account, connection, folder, mailbox, settings.BatchSize, run, ct);
                }
                catch (FolderGoneException)
                {
                    // The admin removed the folder from the account while it synced: its rows went with it.
                    logger.LogInformation("Account {AccountId}: folder {Folder} was removed from the account during the sync", account.Id, folder.Name);
                }
            }
            connection.Stage = ConnectionStage.Disconnecting;
            await connection.Client.DisconnectAsync(quit: true, connection.Token);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && connection.Classify(ex) is { } failure)
        {
            throw new SyncFailures.ConnectionFailedException(failure, ex);
        }
        if (missing.Count > 0)
        {
            throw new SyncFailures.FoldersNotFoundException(missing);
        }
    }

    /// <summary>Mirrors one folder: what the server removed and re-flagged, then what is new.</summary>
    /// <remarks>
    /// The folder is first opened with a plain EXAMINE, exactly as a bare session does, so a folder that did not change
    /// costs nothing more. Only when its HIGHESTMODSEQ moved does a QRESYNC server get asked what changed: the folder is
    /// examined again with the stored state (ENABLE QRESYNC first, once per session, from the authenticated state that
    /// UNSELECT returns to), and the server reports, while opening, the UIDs of 1:LastSyncedUid expunged since the stored
    /// HIGHESTMODSEQ (VANISHED (EARLIER)) and the flags changed since (FETCH).
    /// </remarks>
    private async Task MirrorFolderAsync(
        EmailAccount account, ImapMailConnection connection, SyncFolder state, IMailFolder mailbox,
        int batchSize, RunProgress run, CancellationToken ct)
    {
        await connection.ExamineAsync(mailbox, known: null);
        connection.BeginWork("during the sync");

        var accountId = account.Id;
        var view = FolderView.Of(mailbox, state);
        // Known from the run's first query while the folder keeps its UIDVALIDITY; asked again when it changed.
        var hasOldGeneration = view.SameGeneration
            ? run.MixedAtStart.Contains(state.Id)
            : await HasOldGenerationAsync(account, state, view.Validity, ct);
        if (view.SameGeneration && view.NoNewMessages && !hasOldGeneration
            && (view.ModSeq is not null ? state.HighestModSeq == view.ModSeq : await CountStoredAsync(account, state, view.Validity, view.LastUid, ct) == mailbox.Count))
        {
            // With CONDSTORE an equal HIGHESTMODSEQ also rules out expunges and flag changes; without it, an equal
            // message count with no new UID rules out expunges (flags cannot be compared cheaply without CONDSTORE).
            logger.LogDebug("Account {AccountId}: {Folder} unchanged (UIDNEXT {UidNext}, HIGHESTMODSEQ {ModSeq})", accountId, state.Name, view.UidNext, view.ModSeq);
            return;
        }

        var reported = new ServerChanges();
        var resynced = false;
        if (connection.OffersQuickResync && view is { SameGeneration: true, LastUid: > 0, ModSeq: not null } && state.HighestModSeq is { } storedModSeq)
        {
            var known = new QuickResyncState((uint)view.Validity, (ulong)storedModSeq, new UniqueIdRange(
                new UniqueId((uint)view.Validity, 1), new UniqueId((uint)view.Validity, (uint)view.LastUid)));
            await connection.EnableQuickResyncAsync(mailbox);
            mailbox.MessagesVanished += reported.OnVanished;
            mailbox.MessageFlagsChanged += reported.OnFlagsChanged;
            try
            {
                await connection.ExamineAsync(mailbox, known);
            }
            finally
            {
                mailbox.MessagesVanished -= reported.OnVanished;
                mailbox.MessageFlagsChanged -= reported.OnFlagsChanged;
            }
            connection.BeginWork("during the sync");
            var again = FolderView.Of(mailbox, state);
            resynced = again.SameGeneration;
            if (again.Validity != view.Validity)
            {
                // Renumbered between the two EXAMINEs: the server ignored the stored state; start the generation over.
                hasOldGeneration = await HasOldGenerationAsync(account, state, again.Validity, ct);
            }
            view = again;
        }

        var validity = view.Validity;
        var uidNext = view.UidNext;
        var modSeq = view.ModSeq;
        var sameGeneration = view.SameGeneration;
        var lastUid = view.LastUid;
        var noNewMessages = view.NoNewMessages;

        IList<UniqueId> newUids = [];
        if (!noNewMessages)
        {
            // "UID n:*" always matches the highest UID even when it is below n, hence the filter.
            var range = new UniqueIdRange(new UniqueId((uint)validity, (uint)(lastUid + 1)), UniqueId.MaxValue);
            var found = await mailbox.SearchAsync(SearchQuery.Uids(range), ct);
            newUids = found.Where(u => u.Id > lastUid).OrderBy(u => u.Id).ToList();
        }

        if (sameGeneration && lastUid > 0)
        {
            if (resynced)
            {
                logger.LogDebug("Account {AccountId}: {Folder}: QRESYNC reported {Vanished} expunged UIDs and {Flags} flag changes",
                    accountId, state.Name, reported.Vanished.Count, reported.Flags.Count);
            }
            else
            {
                // No QRESYNC (or no stored HIGHESTMODSEQ to resync from): ask for the changed flags (CONDSTORE) and
                // compare UIDs for what was expunged.
                if (modSeq is not null && state.HighestModSeq is { } knownModSeq && knownModSeq != modSeq)
                {
                    await FetchChangedFlagsAsync(mailbox, validity, lastUid, knownModSeq, reported, ct);
                }
                var onServer = mailbox.Count - newUids.Count;
                await FindExpungedAsync(account, state, connection, mailbox, validity, lastUid, onServer, reported, ct);
            }
            if (!reported.IsEmpty)
            {
                run.Add(await ApplyServerChangesAsync(account, state, validity, reported, ct));
            }
        }

        // UIDs below UIDNEXT that are not on the server any more were expunged: skip past them for good.
        var finalLastUid = Math.Max(lastUid, Math.Max(newUids.Count > 0 ? newUids[^1].Id : 0, (uidNext ?? 1) - 1));
        await StoreNewMessagesAsync(account, state, mailbox, validity, newUids, finalLastUid, modSeq, sameGeneration, hasOldGeneration,
            batchSize, run, ct);
    }

    /// <summary>
    /// Rows of an older UIDVALIDITY: present right after the server renumbered the folder, or when a run that was
    /// replacing them got interrupted. Two index range seeks, so this stays cheap for any folder size.
    /// </summary>
    private async Task<bool> HasOldGenerationAsync(EmailAccount account, SyncFolder state, long validity, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        return await db.SyncedMessages.AnyAsync(m => m.SyncFolderId == state.Id && m.UidValidity < validity, ct)
            || await db.SyncedMessages.AnyAsync(m => m.SyncFolderId == state.Id && m.UidValidity > validity, ct);
    }

    /// <summary>What an EXAMINE told about the folder, next to its stored position.</summary>
    private sealed record FolderView(long Validity, long? UidNext, long? ModSeq, bool SameGeneration, long LastUid)
    {
        public bool NoNewMessages => UidNext is { } n && n <= LastUid + 1;

        public static FolderView Of(IMailFolder mailbox, SyncFolder state)
        {
            var validity = (long)mailbox.UidValidity;
            var same = state.UidValidity == validity;
            return new FolderView(
                validity,
                mailbox.UidNext is { } next ? next.Id : null,
                mailbox.Supports(FolderFeature.ModSequences) && mailbox.HighestModSeq > 0 ? (long)mailbox.HighestModSeq : null,
                same,
                same ? state.LastSyncedUid : 0);
        }
    }

    /// <summary>
    /// Fetches the new messages in batches, each committed with the folder's position. The next batch is fetched while
    /// the current one is committed: the server and the database work at the same time, and only the fetch ever uses
    /// the client, so the client still runs one command at a time.
    /// </summary>
    private async Task StoreNewMessagesAsync(
        EmailAccount account, SyncFolder state, IMailFolder mailbox, long validity, IList<UniqueId> newUids, long finalLastUid,
        long? modSeq, bool sameGeneration, bool hasOldGeneration, int batchSize, RunProgress run, CancellationToken ct)
    {
        if (newUids.Count > 0)
        {
            run.Total += newUids.Count;
            await notifier.PublishAsync(Event(account, SyncEventKind.Progress) with { Done = run.Done, Total = run.Total });
        }

        var request = new FetchRequest(
            MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Size
            | MessageSummaryItems.Flags | MessageSummaryItems.PreviewText);
        var batches = newUids.Chunk(batchSize).ToList();
        // One context and one open connection for the folder's batches: each batch is its own transaction on it.
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        await db.Database.OpenConnectionAsync(ct);
        if (batches.Count == 0)
        {
            await CommitBatchAsync(db, account, state, validity, [], finalLastUid, new ModSeqUpdate(modSeq), hasOldGeneration, hasOldGeneration, ct);
            return;
        }
        var prefetch = mailbox.FetchAsync(batches[0], request, ct);
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = batches[i];
            var summaries = await prefetch!;
            var isLast = i == batches.Count - 1;
            prefetch = isLast ? null : mailbox.FetchAsync(batches[i + 1], request, ct);
            // Before the last batch, HIGHESTMODSEQ keeps its old value (or none, for a new generation): storing the
            // server's value early would let the O(1) check skip changes a resumed run still has to fetch.
            var modSeqUpdate = isLast ? new ModSeqUpdate(modSeq) : sameGeneration ? null : new ModSeqUpdate(null);
            try
            {
                run.Changes += new FolderChanges(await CommitBatchAsync(
                    db, account, state, validity, summaries,
                    isLast ? finalLastUid : batch[^1].Id,
                    modSeqUpdate,
                    replacingOldGeneration: hasOldGeneration,
                    dropOldGeneration: isLast && hasOldGeneration,
                    ct), 0, 0);
            }
            catch when (prefetch is not null)
            {
                // The commit's failure is the one to report; let the prefetch finish (it is not needed any more)
                // so that the client is idle when it is disposed and no fetch fails unobserved.
                await DrainAsync(prefetch);
                throw;
            }
            run.Done += batch.Length;
            await notifier.PublishAsync(Event(account, SyncEventKind.Progress) with { Done = run.Done, Total = run.Total });
        }
    }

    private static async Task DrainAsync(Task pending)
    {
        try
        {
            await pending;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ImapProtocolException or ImapCommandException
                                      or ServiceNotConnectedException or SocketException or TimeoutException or ObjectDisposedException)
        {
            // Expected when the batch failed because the connection or the run ended; the commit's error is reported instead.
        }
    }

    /// <summary>
    /// Stores one batch and advances the folder's position in the same transaction. The last batch of a run also
    /// stores HIGHESTMODSEQ and removes what is left of an older UIDVALIDITY generation of the folder.
    /// </summary>
    /// <remarks>
    /// UIDVALIDITY change without loss or duplicates: messages of the new generation are inserted under the new
    /// UIDVALIDITY (the unique key includes it, so they never collide with the old rows). Each batch deletes the
    /// folder's old rows with the same Message-ID as the rows it inserts, in the same transaction, so the list never
    /// shows a message twice for long and never loses one. Old rows without a match (no Message-ID, or gone from the
    /// server) are deleted only in the transaction that commits the last batch of the new generation, i.e. once
    /// the whole new folder is stored. An interrupted run leaves them in place and the next run finishes the job.
    /// SQLite runs this as an EF transaction; PostgreSQL as one batch of statements in one round trip
    /// (<see cref="PostgresBatchCommit"/>). Either way the batch is all or nothing.
    /// </remarks>
    private async Task<int> CommitBatchAsync(
        EmailSettingsDbContext db,
        EmailAccount account,
        SyncFolder state,
        long validity,
        IList<IMessageSummary> summaries,
        long lastUid,
        ModSeqUpdate? modSeq,
        bool replacingOldGeneration,
        bool dropOldGeneration,
        CancellationToken ct)
    {
        var folderId = state.Id;
        var now = Now;
        // Rows already stored (a UID range fetched again) are skipped by the insert itself.
        var rows = summaries.Select(s => ToRow(account, folderId, validity, s, now)).ToList();
        IReadOnlyList<string> replaced = replacingOldGeneration ? rows.Select(r => r.MessageId).OfType<string>().Distinct().ToList() : [];
        int inserted, dropped;
        if (db.Database.IsNpgsql())
        {
            var outcome = await PostgresBatchCommit.ExecuteAsync(db, new PostgresBatchCommit.Batch(
                account.TenantId, account.Id, folderId, validity, lastUid, modSeq is not null, modSeq?.Value, rows, replaced, dropOldGeneration), ct);
            if (!outcome.FolderFound)
            {
                throw await GoneAsync(db, account, ct);
            }
            (inserted, dropped) = (outcome.Inserted, outcome.Dropped);
        }
        else
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await AdvanceAsync(db, account, state, s =>
            {
                s.SetProperty(f => f.UidValidity, validity).SetProperty(f => f.LastSyncedUid, lastUid);
                if (modSeq is not null)
                {
                    s.SetProperty(f => f.HighestModSeq, modSeq.Value);
                }
            }, ct);
            if (replaced.Count > 0)
            {
                await db.SyncedMessages
                    .Where(m => m.SyncFolderId == folderId && m.UidValidity != validity && m.MessageId != null && replaced.Contains(m.MessageId))
                    .ExecuteDeleteAsync(ct);
            }
            inserted = await SyncedMessageInserter.InsertAsync(db, rows, ct);
            dropped = dropOldGeneration
                ? await db.SyncedMessages.Where(m => m.SyncFolderId == folderId && m.UidValidity != validity).ExecuteDeleteAsync(ct)
                : 0;
            await tx.CommitAsync(ct);
        }
        if (dropOldGeneration)
        {
            logger.LogInformation("Account {AccountId}: {Folder} UIDVALIDITY is now {UidValidity}; removed {Count} messages of the old generation not found again",
                account.Id, state.Name, validity, dropped);
        }
        return inserted;
    }

    /// <summary>Moves the folder's position inside the caller's transaction; tells a removed folder from a deleted account.</summary>
    private static async Task AdvanceAsync(
        EmailSettingsDbContext db, EmailAccount account, SyncFolder state,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<SyncFolder>> set, CancellationToken ct)
    {
        var updated = await db.SyncFolders.Where(f => f.Id == state.Id && f.EmailAccountId == account.Id && f.TenantId == account.TenantId)
            .ExecuteUpdateAsync(set, ct);
        if (updated == 0)
        {
            throw await GoneAsync(db, account, ct);
        }
    }

    /// <summary>Why the folder row is missing: removed from the account, or the account deleted.</summary>
    private static async Task<Exception> GoneAsync(EmailSettingsDbContext db, EmailAccount account, CancellationToken ct) =>
        await db.EmailAccounts.AnyAsync(a => a.Id == account.Id && a.TenantId == account.TenantId, ct)
            ? new FolderGoneException()
            : new AccountGoneException();

    /// <summary>CONDSTORE without QRESYNC: the flags of the stored UIDs that changed since the stored HIGHESTMODSEQ.</summary>
    private static async Task FetchChangedFlagsAsync(IMailFolder mailbox, long validity, long lastUid, long knownModSeq, ServerChanges into, CancellationToken ct)
    {
        var range = new UniqueIdRange(new UniqueId((uint)validity, 1), new UniqueId((uint)validity, (uint)lastUid));
        var changed = await mailbox.FetchAsync(range, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags)
        {
            ChangedSince = (ulong)knownModSeq,
        }, ct);
        foreach (var summary in changed)
        {
            if (summary.Flags is { } flags)
            {
                into.Flags[summary.UniqueId.Id] = flags;
            }
        }
    }

    /// <summary>
    /// Without QRESYNC, finds the stored UIDs of 1:<paramref name="lastUid"/> that the server no longer has. First a
    /// count: when the server holds as many of those UIDs as are stored, nothing was expunged (the copy never holds a
    /// UID the server did not report), and no UID travels. Otherwise one UID SEARCH (ranges with ESEARCH), and the
    /// stored copy is compared by buckets of <see cref="CompareBucketSize"/> consecutive UIDs: one aggregate query
    /// gives each bucket's count and UID sum (an index-only scan), the server's are counted locally, and only the UIDs
    /// of buckets that differ are read, in one more query. A few expunges in 50,000 messages read a few hundred UIDs
    /// instead of 50,000, in two queries whatever the folder's size.
    /// </summary>
    private async Task FindExpungedAsync(
        EmailAccount account, SyncFolder state, ImapMailConnection connection, IMailFolder mailbox, long validity, long lastUid,
        int onServer, ServerChanges into, CancellationToken ct)
    {
        var stored = await CountStoredAsync(account, state, validity, lastUid, ct);
        if (stored == onServer)
        {
            logger.LogDebug("Account {AccountId}: {Folder}: {Count} stored messages, as many as on the server: none expunged", account.Id, state.Name, stored);
            return;
        }
        var range = SearchQuery.Uids(new UniqueIdRange(new UniqueId((uint)validity, 1), new UniqueId((uint)validity, (uint)lastUid)));
        var found = connection.OffersExtendedSearch
            ? (await mailbox.SearchAsync(SearchOptions.All, range, ct)).UniqueIds
            : await mailbox.SearchAsync(range, ct);
        var server = new HashSet<long>();
        var serverBuckets = new Dictionary<long, (int Count, long Sum)>();
        foreach (var uid in found.Select(u => (long)u.Id).Where(u => u <= lastUid))
        {
            if (server.Add(uid))
            {
                var bucket = (uid - 1) / CompareBucketSize;
                var (count, sum) = serverBuckets.GetValueOrDefault(bucket);
                serverBuckets[bucket] = (count + 1, sum + uid);
            }
        }

        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        var folderId = state.Id;
        var storedBuckets = await db.SyncedMessages
            .Where(m => m.SyncFolderId == folderId && m.UidValidity == validity && m.Uid <= lastUid)
            .GroupBy(m => (m.Uid - 1) / CompareBucketSize)
            .Select(g => new { Bucket = g.Key, Count = g.Count(), Sum = g.Sum(m => m.Uid) })
            .ToListAsync(ct);
        var differing = storedBuckets
            .Where(b => serverBuckets.GetValueOrDefault(b.Bucket) != (b.Count, b.Sum))
            .Select(b => b.Bucket)
            .ToList();
        foreach (var chunk in differing.Chunk(UidsPerStatement))
        {
            var uids = await db.SyncedMessages
                .Where(m => m.SyncFolderId == folderId && m.UidValidity == validity && m.Uid <= lastUid && chunk.Contains((m.Uid - 1) / CompareBucketSize))
                .Select(m => m.Uid).ToListAsync(ct);
            into.Vanished.AddRange(uids.Where(uid => !server.Contains(uid)));
        }
        logger.LogDebug("Account {AccountId}: {Folder}: compared {Stored} stored UIDs with {OnServer} on the server; {Differing} of {Buckets} buckets differ: {Expunged} expunged",
            account.Id, state.Name, stored, server.Count, differing.Count, storedBuckets.Count, into.Vanished.Count);
    }

    private async Task<int> CountStoredAsync(EmailAccount account, SyncFolder state, long validity, long lastUid, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        return await db.SyncedMessages.CountAsync(m => m.SyncFolderId == state.Id && m.UidValidity == validity && m.Uid <= lastUid, ct);
    }

    /// <summary>
    /// Removes the expunged UIDs and writes the changed flags, in one transaction. Long runs of expunged UIDs (QRESYNC
    /// reports ranges such as 1:4000) are deleted by range, the rest by lists; a flag update counts only rows whose
    /// flags really change (CHANGEDSINCE also reports keyword changes, which are not mirrored).
    /// </summary>
    private async Task<FolderChanges> ApplyServerChangesAsync(EmailAccount account, SyncFolder state, long validity, ServerChanges changes, CancellationToken ct)
    {
        var folderId = state.Id;
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Locks the folder row first (and notices a folder removed meanwhile) without moving the position.
        await AdvanceAsync(db, account, state, s => s.SetProperty(f => f.LastSyncedUid, f => f.LastSyncedUid), ct);

        var removed = 0;
        var singles = new List<long>();
        foreach (var (first, last) in Runs(changes.Vanished))
        {
            if (last - first >= 16)
            {
                removed += await db.SyncedMessages
                    .Where(m => m.SyncFolderId == folderId && m.UidValidity == validity && m.Uid >= first && m.Uid <= last)
                    .ExecuteDeleteAsync(ct);
            }
            else
            {
                for (var uid = first; uid <= last; uid++)
                {
                    singles.Add(uid);
                }
            }
        }
        foreach (var chunk in singles.Chunk(UidsPerStatement))
        {
            removed += await db.SyncedMessages
                .Where(m => m.SyncFolderId == folderId && m.UidValidity == validity && chunk.Contains(m.Uid))
                .ExecuteDeleteAsync(ct);
        }

        var updated = 0;
        foreach (var group in changes.Flags.GroupBy(c => Mirrored(c.Value), c => (long)c.Key))
        {
            var (seen, flagged, answered) = group.Key;
            foreach (var chunk in group.Chunk(UidsPerStatement))
            {
                updated += await db.SyncedMessages
                    .Where(m => m.SyncFolderId == folderId && m.UidValidity == validity && chunk.Contains(m.Uid)
                        && (m.IsSeen != seen || m.IsFlagged != flagged || m.IsAnswered != answered))
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(m => m.IsSeen, seen)
                        .SetProperty(m => m.IsFlagged, flagged)
                        .SetProperty(m => m.IsAnswered, answered), ct);
            }
        }
        await tx.CommitAsync(ct);
        if (removed > 0 || updated > 0)
        {
            logger.LogInformation("Account {AccountId}: {Folder}: removed {Removed} messages expunged on the server, updated the flags of {Updated}",
                account.Id, state.Name, removed, updated);
        }
        return new FolderChanges(0, removed, updated);
    }

    /// <summary>Sorted, distinct UIDs as runs of consecutive values.</summary>
    private static IEnumerable<(long First, long Last)> Runs(IEnumerable<long> uids)
    {
        long? first = null;
        long last = 0;
        foreach (var uid in uids.Distinct().Order())
        {
            if (first is not null && uid == last + 1)
            {
                last = uid;
                continue;
            }
            if (first is { } f)
            {
                yield return (f, last);
            }
            first = last = uid;
        }
        if (first is { } done)
        {
            yield return (done, last);
        }
    }

    private static (bool Seen, bool Flagged, bool Answered) Mirrored(MessageFlags flags) =>
        (flags.HasFlag(MessageFlags.Seen), flags.HasFlag(MessageFlags.Flagged), flags.HasFlag(MessageFlags.Answered));

    /// <summary>Gives an account that has no folder yet (made before folders existed, or outside the service) its INBOX.</summary>
    private async Task<SyncFolder> AddInboxAsync(EmailAccount account, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        var inbox = new SyncFolder { TenantId = account.TenantId, EmailAccountId = account.Id, Name = SyncFolder.Inbox, CreatedAt = Now };
        db.SyncFolders.Add(inbox);
        try
        {
            await db.SaveChangesAsync(ct);
            return inbox;
        }
        catch (DbUpdateException)
        {
            // Added by a concurrent save of the account, or the account is gone; either way the database knows.
            await using var again = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
            return await again.SyncFolders.AsNoTracking().FirstOrDefaultAsync(f => f.EmailAccountId == account.Id && f.Name == SyncFolder.Inbox, ct)
                ?? throw new AccountGoneException();
        }
    }

    private static SyncedMessage ToRow(EmailAccount account, int folderId, long validity, IMessageSummary s, DateTime now)
    {
        var (seen, flagged, answered) = Mirrored(s.Flags ?? MessageFlags.None);
        return new SyncedMessage
        {
            TenantId = account.TenantId,
            EmailAccountId = account.Id,
            SyncFolderId = folderId,
            UidValidity = validity,
            Uid = s.UniqueId.Id,
            MessageId = Cut(s.Envelope?.MessageId, FieldRules.HeaderLineMaxLength),
            From = Cut(s.Envelope?.From?.ToString(), FieldRules.HeaderTextMaxLength) ?? "",
            To = Cut(s.Envelope?.To?.ToString(), FieldRules.AddressListMaxLength) ?? "",
            Subject = Cut(s.Envelope?.Subject, FieldRules.HeaderTextMaxLength) ?? "",
            Date = s.Envelope?.Date?.UtcDateTime,
            Size = s.Size ?? 0,
            IsSeen = seen,
            IsFlagged = flagged,
            IsAnswered = answered,
            Preview = Preview(s.PreviewText),
            SyncedAt = now,
        };
    }

    private static string Preview(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }
        var sb = new StringBuilder(SyncedMessage.PreviewLength);
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = true;
                continue;
            }
            if (space && sb.Length > 0)
            {
                sb.Append(' ');
            }
            space = false;
            sb.Append(c);
            if (sb.Length >= SyncedMessage.PreviewLength)
            {
                break;
            }
        }
        return Cut(sb.ToString(), SyncedMessage.PreviewLength)!;
    }

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    private async Task UpdateAccountAsync(
        Guid tenantId, int accountId,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<EmailAccount>> set)
    {
        // Recording the outcome must happen even when the run was cancelled, hence no token.
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, CancellationToken.None);
        await db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == tenantId).ExecuteUpdateAsync(set, CancellationToken.None);
    }

    private SyncProgress Event(EmailAccount account, SyncEventKind kind) =>
        new(account.TenantId, account.Id, kind, 0, 0, 0, null, null, Now);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private sealed record ModSeqUpdate(long? Value);

    /// <summary>What one folder's mirror changed in the database.</summary>
    private readonly record struct FolderChanges(int Added, int Removed, int Updated)
    {
        public static FolderChanges operator +(FolderChanges a, FolderChanges b) =>
            new(a.Added + b.Added, a.Removed + b.Removed, a.Updated + b.Updated);
    }

    /// <summary>The run's totals over its folders, and the progress the pages hear (new messages stored of those found).</summary>
    private sealed class RunProgress
    {
        public FolderChanges Changes { get; set; }
        public int Done { get; set; }
        public int Total { get; set; }

        /// <summary>The folders that held rows of a UIDVALIDITY other than their stored one when the run started.</summary>
        public IReadOnlySet<int> MixedAtStart { get; init; } = new HashSet<int>();

        public void Add(FolderChanges changes) => Changes += changes;
    }

    /// <summary>What the server reported as changed in one folder: expunged UIDs and the current flags of changed ones.</summary>
    private sealed class ServerChanges
    {
        public List<long> Vanished { get; } = [];
        public Dictionary<uint, MessageFlags> Flags { get; } = [];
        public bool IsEmpty => Vanished.Count == 0 && Flags.Count == 0;

        public void OnVanished(object? sender, MessagesVanishedEventArgs e) =>
            Vanished.AddRange(e.UniqueIds.Select(u => (long)u.Id));

        public void OnFlagsChanged(object? sender, MessageFlagsChangedEventArgs e)
        {
            if (e.UniqueId is { } uid)
            {
                Flags[uid.Id] = e.Flags;
            }
        }
    }

    /// <summary>The account was deleted while its sync ran.</summary>
    private sealed class AccountGoneException() : Exception("The account was deleted during the sync.");

    /// <summary>The folder was removed from the account while its sync ran.</summary>
    private sealed class FolderGoneException() : Exception("The folder was removed from the account during the sync.");
}
