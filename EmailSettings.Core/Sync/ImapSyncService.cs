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
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Sync;

/// <summary>
/// The sync engine: pulls new messages from an account's INBOX into the database, incrementally and read-only.
/// Callers go through <see cref="SyncCoordinator"/>, which makes sure one account never syncs twice at once.
/// </summary>
/// <remarks>
/// Invariants:
/// <list type="bullet">
/// <item>INBOX is opened with EXAMINE (read-only), so the server never sets \Seen, and nothing is stored, moved or expunged.</item>
/// <item>Every batch of messages is committed in one transaction together with the account's <c>LastSyncedUid</c>:
/// an interrupted run has stored exactly the batches it committed, and the next run continues after them.</item>
/// <item>With CONDSTORE, HIGHESTMODSEQ is stored only in the transaction of the last batch, so an equal HIGHESTMODSEQ
/// plus UIDNEXT not beyond <c>LastSyncedUid</c> means "nothing changed" without looking at any message (O(1)).</item>
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
    /// <summary>Syncs one account and records the outcome on it. Never throws for mail or network failures.</summary>
    internal async Task<SyncOutcome> SyncAsync(Guid tenantId, int accountId, CancellationToken ct)
    {
        EmailAccount? account;
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            account = await db.EmailAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == accountId && a.TenantId == tenantId, ct);
        }
        if (account is null)
        {
            return SyncOutcome.NotFound;
        }
        if (!account.IsImapConfigured)
        {
            return SyncOutcome.NotConfigured;
        }

        var startedAt = Now;
        await UpdateAccountAsync(tenantId, accountId, a => a.SetProperty(x => x.LastSyncStartedAt, startedAt));
        await notifier.PublishAsync(Event(account, SyncEventKind.Started));

        // Whatever happens below, open pages must hear that the sync ended, or the icon would spin forever.
        var ended = false;
        try
        {
            MailCredential? credential = null;
            try
            {
                credential = await CredentialAsync(account, ct);
                var added = await RunAsync(account, credential, ct);
                var succeededAt = Now;
                await UpdateAccountAsync(tenantId, accountId, a => a
                    .SetProperty(x => x.LastSyncSucceededAt, succeededAt)
                    .SetProperty(x => x.LastSyncError, (string?)null)
                    .SetProperty(x => x.LastSyncErrorKind, (string?)null)
                    .SetProperty(x => x.FailingSince, (DateTime?)null)
                    .SetProperty(x => x.ConsecutiveSyncFailures, 0));
                logger.LogInformation("Synced account {AccountId} of tenant {TenantId}: {NewMessages} new messages in {Elapsed} ms",
                    accountId, tenantId, added, (int)(Now - startedAt).TotalMilliseconds);
                await notifier.PublishAsync(Event(account, SyncEventKind.Completed) with { NewMessages = added });
                ended = true;
                return SyncOutcome.Success(added);
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
                if (kind == SyncErrorKind.Other && ex is not SyncFailures.ConnectionFailedException)
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
    /// Connects, signs in and opens INBOX through the connection layer, then pulls. A mail or network failure leaves as
    /// a <see cref="SyncFailures.ConnectionFailedException"/> carrying the layer's classification.
    /// </summary>
    private async Task<int> RunAsync(EmailAccount account, MailCredential credential, CancellationToken ct)
    {
        var settings = options.Value;
        var endpoint = new MailEndpoint(ConnectionProtocol.Imap, account.ImapHost!, account.ImapPort, account.ImapUseTls,
            account.ImapPinnedCertificateSha256, account.DisplayName);
        using var connection = new ImapMailConnection(endpoint, credential, MailTimeLimit.PerCommand(settings.Timeout, clock, ct));
        try
        {
            await connection.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                throw new SyncFailures.ConnectionFailedException(refusal);
            }
            // EXAMINE: the server keeps \Seen untouched even for body fetches. MailKit sends (CONDSTORE) when offered.
            var inbox = await connection.OpenInboxAsync();
            connection.BeginWork("during the sync");
            var added = await PullAsync(account, inbox, settings.BatchSize, ct);
            connection.Stage = ConnectionStage.Disconnecting;
            await connection.Client.DisconnectAsync(quit: true, connection.Token);
            return added;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && connection.Classify(ex) is { } failure)
        {
            throw new SyncFailures.ConnectionFailedException(failure, ex);
        }
    }

    /// <summary>
    /// The account's sign-in: its password, or an OAuth2 token of its grant (renewed ahead of expiry and once when the
    /// server refuses it). A grant already known dead throws here, before the server or the provider is contacted.
    /// </summary>
    private async Task<MailCredential> CredentialAsync(EmailAccount account, CancellationToken ct) =>
        account.ImapSignInMethod == OAuth.SignInMethod.OAuth2
            ? await credentials.ForRecordAsync(account.TenantId, OAuth.OAuthTargetKind.EmailAccount, account.Id, account.ImapUsername!, ct)
            : new PasswordCredential(account.ImapUsername!, secrets.Unprotect(SecretKind.ImapPassword, account.ImapPasswordProtected!));

    private async Task<int> PullAsync(EmailAccount account, IMailFolder inbox, int batchSize, CancellationToken ct)
    {
        var tenantId = account.TenantId;
        var accountId = account.Id;
        var validity = (long)inbox.UidValidity;
        var uidNext = inbox.UidNext is { } next ? (long?)next.Id : null;
        long? modSeq = inbox.Supports(FolderFeature.ModSequences) && inbox.HighestModSeq > 0 ? (long)inbox.HighestModSeq : null;
        var sameGeneration = account.UidValidity == validity;
        var lastUid = sameGeneration ? account.LastSyncedUid : 0;

        // Rows of an older UIDVALIDITY: present right after the server renumbered INBOX, or when a run that was
        // replacing them got interrupted. Two index range seeks, so this stays cheap for any mailbox size.
        bool hasOldGeneration;
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            hasOldGeneration = await db.SyncedMessages.AnyAsync(m => m.EmailAccountId == accountId && m.UidValidity < validity, ct)
                || await db.SyncedMessages.AnyAsync(m => m.EmailAccountId == accountId && m.UidValidity > validity, ct);
        }

        var noNewMessages = uidNext is { } n && n <= lastUid + 1;
        var flagsUnchanged = modSeq is null || (sameGeneration && account.HighestModSeq == modSeq);
        if (sameGeneration && noNewMessages && flagsUnchanged && !hasOldGeneration)
        {
            logger.LogDebug("Account {AccountId}: INBOX unchanged (UIDNEXT {UidNext}, HIGHESTMODSEQ {ModSeq})", accountId, uidNext, modSeq);
            return 0;
        }

        if (sameGeneration && modSeq is not null && account.HighestModSeq is { } knownModSeq && knownModSeq != modSeq && lastUid > 0)
        {
            await UpdateSeenFlagsAsync(account, inbox, validity, lastUid, knownModSeq, ct);
        }

        IList<UniqueId> newUids = [];
        if (!noNewMessages)
        {
            // "UID n:*" always matches the highest UID even when it is below n, hence the filter.
            var range = new UniqueIdRange(new UniqueId((uint)validity, (uint)(lastUid + 1)), UniqueId.MaxValue);
            var found = await inbox.SearchAsync(SearchQuery.Uids(range), ct);
            newUids = found.Where(u => u.Id > lastUid).OrderBy(u => u.Id).ToList();
        }

        // UIDs below UIDNEXT that are not on the server any more were expunged: skip past them for good.
        var finalLastUid = Math.Max(lastUid, Math.Max(newUids.Count > 0 ? newUids[^1].Id : 0, (uidNext ?? 1) - 1));
        var total = newUids.Count;
        if (total > 0)
        {
            await notifier.PublishAsync(Event(account, SyncEventKind.Progress) with { Done = 0, Total = total });
        }

        var request = new FetchRequest(
            MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Size
            | MessageSummaryItems.Flags | MessageSummaryItems.PreviewText);
        var done = 0;
        var added = 0;
        var batches = newUids.Chunk(batchSize).ToList();
        if (batches.Count == 0)
        {
            await CommitBatchAsync(account, validity, [], [], finalLastUid, new ModSeqUpdate(modSeq), hasOldGeneration, hasOldGeneration, ct);
        }
        // The next batch is fetched while the current one is committed: the server and the database work at the
        // same time, and only the fetch ever uses the client, so the client still runs one command at a time.
        var prefetch = batches.Count > 0 ? inbox.FetchAsync(batches[0], request, ct) : null;
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = batches[i];
            var summaries = await prefetch!;
            var isLast = i == batches.Count - 1;
            prefetch = isLast ? null : inbox.FetchAsync(batches[i + 1], request, ct);
            // Before the last batch, HIGHESTMODSEQ keeps its old value (or none, for a new generation): storing the
            // server's value early would let the O(1) check skip flag changes a resumed run still has to fetch.
            var modSeqUpdate = isLast ? new ModSeqUpdate(modSeq) : sameGeneration ? null : new ModSeqUpdate(null);
            try
            {
                added += await CommitBatchAsync(
                    account, validity, batch, summaries,
                    isLast ? finalLastUid : batch[^1].Id,
                    modSeqUpdate,
                    replacingOldGeneration: hasOldGeneration,
                    dropOldGeneration: isLast && hasOldGeneration,
                    ct);
            }
            catch when (prefetch is not null)
            {
                // The commit's failure is the one to report; let the prefetch finish (it is not needed any more)
                // so that the client is idle when it is disposed and no fetch fails unobserved.
                await DrainAsync(prefetch);
                throw;
            }
            done += batch.Length;
            await notifier.PublishAsync(Event(account, SyncEventKind.Progress) with { Done = done, Total = total });
        }
        return added;
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
    /// Stores one batch and advances the account's position in the same transaction. The last batch of a run also
    /// stores HIGHESTMODSEQ and removes what is left of an older UIDVALIDITY generation.
    /// </summary>
    /// <remarks>
    /// UIDVALIDITY change without loss or duplicates: messages of the new generation are inserted under the new
    /// UIDVALIDITY (the unique key includes it, so they never collide with the old rows). Each batch deletes the
    /// old rows with the same Message-ID as the rows it inserts, in the same transaction, so the list never shows
    /// a message twice for long and never loses one. Old rows without a match (no Message-ID, or gone from the
    /// server) are deleted only in the transaction that commits the last batch of the new generation, i.e. once
    /// the whole new INBOX is stored. An interrupted run leaves them in place and the next run finishes the job.
    /// </remarks>
    private async Task<int> CommitBatchAsync(
        EmailAccount account,
        long validity,
        IReadOnlyList<UniqueId> batch,
        IList<IMessageSummary> summaries,
        long lastUid,
        ModSeqUpdate? modSeq,
        bool replacingOldGeneration,
        bool dropOldGeneration,
        CancellationToken ct)
    {
        var accountId = account.Id;
        var now = Now;
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        var position = await db.EmailAccounts.Where(a => a.Id == accountId && a.TenantId == account.TenantId)
            .ExecuteUpdateAsync(s =>
            {
                s.SetProperty(a => a.UidValidity, validity).SetProperty(a => a.LastSyncedUid, lastUid);
                if (modSeq is not null)
                {
                    s.SetProperty(a => a.HighestModSeq, modSeq.Value);
                }
            }, ct);
        if (position == 0)
        {
            throw new AccountGoneException();
        }

        var inserted = 0;
        if (batch.Count > 0)
        {
            var min = (long)batch[0].Id;
            var max = (long)batch[^1].Id;
            var existing = (await db.SyncedMessages
                    .Where(m => m.EmailAccountId == accountId && m.UidValidity == validity && m.Uid >= min && m.Uid <= max)
                    .Select(m => m.Uid).ToListAsync(ct))
                .ToHashSet();
            var rows = summaries
                .Where(s => !existing.Contains(s.UniqueId.Id))
                .Select(s => ToRow(account, validity, s, now))
                .ToList();
            inserted = rows.Count;

            if (replacingOldGeneration)
            {
                var messageIds = rows.Select(r => r.MessageId).OfType<string>().Distinct().ToList();
                if (messageIds.Count > 0)
                {
                    await db.SyncedMessages
                        .Where(m => m.EmailAccountId == accountId && m.UidValidity != validity && m.MessageId != null && messageIds.Contains(m.MessageId))
                        .ExecuteDeleteAsync(ct);
                }
            }
            await SyncedMessageInserter.InsertAsync(db, rows, ct);
        }
        if (dropOldGeneration)
        {
            var dropped = await db.SyncedMessages.Where(m => m.EmailAccountId == accountId && m.UidValidity != validity).ExecuteDeleteAsync(ct);
            logger.LogInformation("Account {AccountId}: INBOX UIDVALIDITY is now {UidValidity}; removed {Count} messages of the old generation not found again",
                accountId, validity, dropped);
        }
        await tx.CommitAsync(ct);
        return inserted;
    }

    /// <summary>CONDSTORE: fetches only the flags that changed since the stored HIGHESTMODSEQ and updates \Seen.</summary>
    private async Task UpdateSeenFlagsAsync(EmailAccount account, IMailFolder inbox, long validity, long lastUid, long knownModSeq, CancellationToken ct)
    {
        var range = new UniqueIdRange(new UniqueId((uint)validity, 1), new UniqueId((uint)validity, (uint)lastUid));
        var changed = await inbox.FetchAsync(range, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags)
        {
            ChangedSince = (ulong)knownModSeq,
        }, ct);
        if (changed.Count == 0)
        {
            return;
        }
        var seen = changed.Where(s => s.Flags?.HasFlag(MessageFlags.Seen) == true).Select(s => (long)s.UniqueId.Id).ToList();
        var unseen = changed.Where(s => s.Flags?.HasFlag(MessageFlags.Seen) == false).Select(s => (long)s.UniqueId.Id).ToList();
        await using var db = await dbFactory.CreateForTenantAsync(account.TenantId, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var chunk in seen.Chunk(500))
        {
            await db.SyncedMessages.Where(m => m.EmailAccountId == account.Id && m.UidValidity == validity && chunk.Contains(m.Uid))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsSeen, true), ct);
        }
        foreach (var chunk in unseen.Chunk(500))
        {
            await db.SyncedMessages.Where(m => m.EmailAccountId == account.Id && m.UidValidity == validity && chunk.Contains(m.Uid))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.IsSeen, false), ct);
        }
        await tx.CommitAsync(ct);
    }

    private static SyncedMessage ToRow(EmailAccount account, long validity, IMessageSummary s, DateTime now) => new()
    {
        TenantId = account.TenantId,
        EmailAccountId = account.Id,
        UidValidity = validity,
        Uid = s.UniqueId.Id,
        MessageId = Cut(s.Envelope?.MessageId, FieldRules.HeaderLineMaxLength),
        From = Cut(s.Envelope?.From?.ToString(), FieldRules.HeaderTextMaxLength) ?? "",
        To = Cut(s.Envelope?.To?.ToString(), FieldRules.AddressListMaxLength) ?? "",
        Subject = Cut(s.Envelope?.Subject, FieldRules.HeaderTextMaxLength) ?? "",
        Date = s.Envelope?.Date?.UtcDateTime,
        Size = s.Size ?? 0,
        IsSeen = s.Flags?.HasFlag(MessageFlags.Seen) == true,
        Preview = Preview(s.PreviewText),
        SyncedAt = now,
    };

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

    /// <summary>The account was deleted while its sync ran.</summary>
    private sealed class AccountGoneException() : Exception("The account was deleted during the sync.");
}
