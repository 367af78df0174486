using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>A real Dovecot on loopback plus the Core over a SQLite file or a PostgreSQL database, with filled mailboxes and their accounts.</summary>
public sealed class SyncBed : IAsyncDisposable
{
    public const string Password = "Bench-Pa55word!";

    /// <summary>What the sync engine fetches for every new message (kept equal to ImapSyncService's request).</summary>
    public static readonly MessageSummaryItems SyncItems =
        MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Size
        | MessageSummaryItems.Flags | MessageSummaryItems.PreviewText;

    private readonly Dictionary<int, Mailbox> mailboxes = [];
    private int serverId;

    private SyncBed(DovecotServer dovecot, CoreTestHost host)
    {
        Dovecot = dovecot;
        Host = host;
    }

    /// <summary>"SQLite" or "PostgreSQL", for the report.</summary>
    public string DatabaseName => Host.Provider == DatabaseProvider.Postgres ? "PostgreSQL" : "SQLite";

    public DovecotServer Dovecot { get; }
    public CoreTestHost Host { get; }
    public SyncCoordinator Coordinator => Host.Services.GetRequiredService<SyncCoordinator>();

    public sealed record Mailbox(int Size, string User, int AccountId, int FolderId);

    /// <remarks>
    /// BENCH_DOVECOT_SETTINGS (settings separated by ';', e.g. <c>mailbox_list_index = no</c>) are appended to Dovecot's
    /// configuration, to compare server set-ups; the recorded figures use the fixture's defaults.
    /// </remarks>
    public static async Task<SyncBed> StartAsync(
        DatabaseProvider provider = DatabaseProvider.Sqlite, IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyList<string>? serverSettings = null)
    {
        var dovecotSettings = Environment.GetEnvironmentVariable("BENCH_DOVECOT_SETTINGS")?
            .Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (dovecotSettings.Length > 0)
        {
            Console.WriteLine($"Dovecot settings added by BENCH_DOVECOT_SETTINGS: {string.Join("; ", dovecotSettings)}");
        }
        var dovecot = await DovecotServer.StartAsync(certificate: null, [.. serverSettings ?? [], .. dovecotSettings]);
        var hostSettings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Sync:Timeout"] = "00:02:00",
        };
        if (Environment.GetEnvironmentVariable("BENCH_SYNC_BATCH") is { } batch)
        {
            hostSettings["Sync:BatchSize"] = batch;
        }
        if (provider == DatabaseProvider.Postgres)
        {
            // Measured as production runs it: fsync and synchronous commit on (the tests turn them off).
            // BENCH_PG_DURABLE=off measures without them, to see what the commits' flushes cost.
            PostgresServer.Durable = Environment.GetEnvironmentVariable("BENCH_PG_DURABLE") != "off";
            Console.WriteLine($"PostgreSQL durability (fsync, synchronous_commit): {(PostgresServer.Durable ? "on" : "off")}");
        }
        var host = await CoreTestHost.CreateAsync(provider, hostSettings);
        return new SyncBed(dovecot, host);
    }

    /// <summary>A user whose INBOX holds <paramref name="size"/> messages, and an account syncing it (STARTTLS, pinned).</summary>
    public async Task<Mailbox> MailboxAsync(int size)
    {
        if (mailboxes.TryGetValue(size, out var existing))
        {
            return existing;
        }
        var user = $"bench{size}";
        await FillAsync(user, size);
        await WaitUntilDovecotTrustsTheListingAsync(user);
        var (accountId, folderId) = (await AddAccountsAsync([user]))[0];
        var mailbox = new Mailbox(size, user, accountId, folderId);
        mailboxes[size] = mailbox;
        return mailbox;
    }

    /// <summary>
    /// <paramref name="count"/> users with <paramref name="size"/> messages each, and an account for each (tenant A);
    /// each user's INBOX has been opened read-write once and left for Dovecot to trust its listing.
    /// </summary>
    public async Task<IReadOnlyList<Mailbox>> MailboxesAsync(string prefix, int count, int size, int parallel)
    {
        var users = Enumerable.Range(1, count).Select(i => $"{prefix}{i:D4}").ToList();
        using var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(users.Select(async user =>
        {
            await gate.WaitAsync();
            try
            {
                await FillAsync(user, size);
            }
            finally
            {
                gate.Release();
            }
        }));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var ids = await AddAccountsAsync(users);
        return users.Select((user, i) => new Mailbox(size, user, ids[i].AccountId, ids[i].FolderId)).ToList();
    }

    private async Task FillAsync(string user, int size)
    {
        Dovecot.AddUser(user, Password);
        var written = Dovecot.DeliverToMaildir(user, Enumerable.Range(1, size).Select(n => DovecotServer.CreateMessage(n)));
        if (written != size)
        {
            throw new InvalidOperationException($"Delivered {written} of {size} messages.");
        }
        // One read-write SELECT moves the messages from new/ to cur/, as the first client session does on any
        // server; a read-only EXAMINE (all the sync does) may not, and would rescan new/ on every session.
        using var client = await ConnectAsync(user, FolderAccess.ReadWrite);
        await client.DisconnectAsync(quit: true);
    }

    private async Task<List<(int AccountId, int FolderId)>> AddAccountsAsync(IReadOnlyList<string> users)
    {
        var secrets = Host.Services.GetRequiredService<SecretProtector>();
        var protectedPassword = secrets.Protect(SecretKind.ImapPassword, Password);
        await using var db = await Host.CreateDbContextAsync();
        if (serverId == 0)
        {
            var server = new MailServer { TenantId = Host.TenantA, Name = "Outbound", SmtpHost = "smtp.example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
            serverId = server.Id;
        }
        var accounts = users.Select(user => new EmailAccount
        {
            TenantId = Host.TenantA,
            EmailAddress = $"{user}@example.com",
            NormalizedEmailAddress = $"{user}@example.com".ToUpperInvariant(),
            DisplayName = $"Inbox {user}",
            MailServerId = serverId,
            ImapHost = Dovecot.Host,
            ImapPort = Dovecot.ImapPort,
            ImapUsername = user,
            ImapPasswordProtected = protectedPassword,
            ImapUseTls = true,
            ImapPinnedCertificateSha256 = Dovecot.CertificateSha256,
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        }).ToList();
        db.EmailAccounts.AddRange(accounts);
        await db.SaveChangesAsync();
        var inboxes = accounts.Select(a => new SyncFolder { TenantId = Host.TenantA, EmailAccountId = a.Id, Name = SyncFolder.Inbox, CreatedAt = DateTime.UtcNow }).ToList();
        db.SyncFolders.AddRange(inboxes);
        await db.SaveChangesAsync();
        return accounts.Select((a, i) => (a.Id, inboxes[i].Id)).ToList();
    }

    /// <summary>
    /// Dovecot trusts a listing of new/ or cur/ only if it was taken more than MAILDIR_SYNC_SECS (1 s) after the
    /// folder last changed; otherwise every session more than a second later lists the folder again, until one listing
    /// is late enough (maildir_sync_quick_check). The SELECT above filled cur/ and listed it at once, so wait until
    /// both folders are 2 s old: the next session (in sync-nochange, <see cref="PrimeAsync"/>'s) lists them a last
    /// time and Dovecot's index records them as clean, the state of a server whose mail arrived a while ago.
    /// </summary>
    /// <summary>
    /// After the mailbox changed on the server (<see cref="ChangeOnServerAsync"/>), leaves Dovecot's index as clean as
    /// after <see cref="MailboxAsync"/>: waits until the Maildir folders are 2 s old and has one untimed session list
    /// them, so the timed session after it pays for the sync's own work and not for Dovecot re-reading the folder.
    /// </summary>
    public async Task SettleAsync(Mailbox mailbox)
    {
        await WaitUntilDovecotTrustsTheListingAsync(mailbox.User);
        using var client = await ConnectAsync(mailbox);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>
    /// What another mail client does between two syncs: expunges <paramref name="expunge"/> messages and toggles
    /// \Flagged and \Seen on <paramref name="reflag"/> others, chosen with <paramref name="random"/>.
    /// </summary>
    public async Task ChangeOnServerAsync(Mailbox mailbox, int expunge, int reflag, Random random)
    {
        using var client = await ConnectAsync(mailbox.User, FolderAccess.ReadWrite);
        var inbox = client.Inbox;
        var uids = (await inbox.SearchAsync(MailKit.Search.SearchQuery.All)).ToList();
        var picked = uids.OrderBy(_ => random.Next()).Take(expunge + reflag).ToList();
        var gone = picked.Take(expunge).ToList();
        var flagged = await inbox.FetchAsync(picked.Skip(expunge).ToList(), MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        var on = flagged.Where(s => s.Flags?.HasFlag(MessageFlags.Flagged) != true).Select(s => s.UniqueId).ToList();
        var off = flagged.Where(s => s.Flags?.HasFlag(MessageFlags.Flagged) == true).Select(s => s.UniqueId).ToList();
        if (on.Count > 0)
        {
            await inbox.AddFlagsAsync(on, MessageFlags.Flagged | MessageFlags.Seen, silent: true);
        }
        if (off.Count > 0)
        {
            await inbox.RemoveFlagsAsync(off, MessageFlags.Flagged | MessageFlags.Seen, silent: true);
        }
        await inbox.AddFlagsAsync(gone, MessageFlags.Deleted, silent: true);
        await inbox.ExpungeAsync();
        await client.DisconnectAsync(quit: true);
    }

    private async Task WaitUntilDovecotTrustsTheListingAsync(string user)
    {
        var maildir = Path.Combine(Dovecot.MailRoot, user, "Maildir");
        var lastChange = new[] { "cur", "new" }.Max(folder => Directory.GetLastWriteTimeUtc(Path.Combine(maildir, folder)));
        var wait = lastChange + TimeSpan.FromSeconds(2) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    /// <summary>Forgets everything synced for the account, so the next sync is an initial one again.</summary>
    public async Task ResetAsync(Mailbox mailbox)
    {
        await using var db = await Host.CreateDbContextAsync();
        await db.SyncedMessages.Where(m => m.EmailAccountId == mailbox.AccountId).ExecuteDeleteAsync();
        await db.SyncFolders.Where(f => f.Id == mailbox.FolderId).ExecuteUpdateAsync(s => s
            .SetProperty(f => f.UidValidity, (long?)null)
            .SetProperty(f => f.LastSyncedUid, 0)
            .SetProperty(f => f.HighestModSeq, (long?)null));
        if (Host.Provider == DatabaseProvider.Postgres)
        {
            // What a first sync meets: no dead rows. Without it each run inserts the UIDs the previous run's rows
            // (deleted just above, not yet vacuumed) still hold in the unique index, and every insert has to visit
            // those dead heap rows to see that they are gone: a cost of re-running the benchmark, not of a sync.
            await db.Database.ExecuteSqlRawAsync("VACUUM \"SyncedMessages\"");
        }
    }

    /// <summary>
    /// Puts the account in the state a completed sync leaves: every message stored (one row per UID, written with
    /// plain SQL for speed) and UIDVALIDITY, the last UID and HIGHESTMODSEQ as the server reports them now.
    /// Equivalent, for a no-change sync, to an initial sync, which never reads a stored row.
    /// </summary>
    public async Task PrimeAsync(Mailbox mailbox)
    {
        await ResetAsync(mailbox);
        using var client = await ConnectAsync(mailbox);
        var inbox = client.Inbox;
        var uids = await inbox.SearchAsync(MailKit.Search.SearchQuery.All);
        var validity = (long)inbox.UidValidity;
        var modSeq = inbox.HighestModSeq > 0 ? (long?)inbox.HighestModSeq : null;
        var lastUid = (long)(inbox.UidNext?.Id ?? (uint)uids.Count + 1) - 1;
        await client.DisconnectAsync(quit: true);

        // The sync's own batch insert (one prepared INSERT, EF's column mappings), so this works on either database.
        var now = DateTime.UtcNow;
        var rows = uids.Select((u, i) => new SyncedMessage
        {
            TenantId = Host.TenantA,
            EmailAccountId = mailbox.AccountId,
            SyncFolderId = mailbox.FolderId,
            UidValidity = validity,
            Uid = u.Id,
            MessageId = $"test-message-{i + 1}@example.com",
            From = "Test Sender <sender@example.com>",
            To = "Test User <user@example.com>",
            Subject = $"Test message {i + 1}",
            Date = new DateTime(2024, 1, 1, 8, 0, 0, DateTimeKind.Utc).AddMinutes(i + 1),
            Size = 400,
            Preview = "Hello, this is a test message.",
            SyncedAt = now,
        }).ToList();
        await using var db = await Host.CreateDbContextAsync();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await SyncedMessageInserter.InsertAsync(db, rows, CancellationToken.None);
            await tx.CommitAsync();
        }
        await db.SyncFolders.Where(f => f.Id == mailbox.FolderId).ExecuteUpdateAsync(s => s
            .SetProperty(f => f.UidValidity, validity)
            .SetProperty(f => f.LastSyncedUid, lastUid)
            .SetProperty(f => f.HighestModSeq, modSeq));
    }

    /// <summary>A manual sync through the coordinator, as the Sync button runs it; fails loudly unless it adds exactly <paramref name="expectedNew"/>.</summary>
    public Task SyncAsync(Mailbox mailbox, int expectedNew) => SyncAsync(mailbox, SyncOutcome.Success(expectedNew));

    /// <summary>As <see cref="SyncAsync(Mailbox, int)"/>, for an outcome with removed and re-flagged messages too.</summary>
    public async Task SyncAsync(Mailbox mailbox, SyncOutcome expected)
    {
        var outcome = await Coordinator.RunAsync(Host.TenantA, mailbox.AccountId, SyncTrigger.Manual, CancellationToken.None);
        if (outcome != expected)
        {
            throw new InvalidOperationException($"Sync of the {mailbox.Size} mailbox: {outcome}; expected {expected}.");
        }
    }

    /// <summary>A connected, authenticated MailKit client with INBOX examined, as bare as the engine's own.</summary>
    public Task<ImapClient> ConnectAsync(Mailbox mailbox) => ConnectAsync(mailbox.User, FolderAccess.ReadOnly);

    private async Task<ImapClient> ConnectAsync(string user, FolderAccess access)
    {
        var client = new ImapClient
        {
            Timeout = 120_000,
            ServerCertificateValidationCallback = TestCertificates.AcceptOnly(Dovecot.CertificateSha256),
        };
        await client.ConnectAsync(Dovecot.Host, Dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, Password);
        await client.Inbox.OpenAsync(access);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Dovecot.DisposeAsync();
    }
}
