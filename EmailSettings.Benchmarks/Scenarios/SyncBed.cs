using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>A real Dovecot on loopback plus the Core over a SQLite file, with one filled mailbox and account per size.</summary>
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

    public DovecotServer Dovecot { get; }
    public CoreTestHost Host { get; }
    public SyncCoordinator Coordinator => Host.Services.GetRequiredService<SyncCoordinator>();

    public sealed record Mailbox(int Size, string User, int AccountId);

    /// <remarks>
    /// BENCH_DOVECOT_SETTINGS (settings separated by ';', e.g. <c>mailbox_list_index = no</c>) are appended to Dovecot's
    /// configuration, to compare server set-ups; the recorded figures use the fixture's defaults.
    /// </remarks>
    public static async Task<SyncBed> StartAsync()
    {
        var settings = Environment.GetEnvironmentVariable("BENCH_DOVECOT_SETTINGS")?
            .Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (settings.Length > 0)
        {
            Console.WriteLine($"Dovecot settings added by BENCH_DOVECOT_SETTINGS: {string.Join("; ", settings)}");
        }
        var dovecot = await DovecotServer.StartAsync(certificate: null, settings);
        var host = await CoreTestHost.CreateAsync(b =>
        {
            b.Configuration["Sync:Timeout"] = "00:02:00";
            if (Environment.GetEnvironmentVariable("BENCH_SYNC_BATCH") is { } batch)
            {
                b.Configuration["Sync:BatchSize"] = batch;
            }
        }, captureLogs: false);
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
        Dovecot.AddUser(user, Password);
        var written = Dovecot.DeliverToMaildir(user, Enumerable.Range(1, size).Select(n => DovecotServer.CreateMessage(n)));
        if (written != size)
        {
            throw new InvalidOperationException($"Delivered {written} of {size} messages.");
        }
        // One read-write SELECT moves the messages from new/ to cur/, as the first client session does on any
        // server; a read-only EXAMINE (all the sync does) may not, and would rescan new/ on every session.
        using (var client = await ConnectAsync(user, FolderAccess.ReadWrite))
        {
            await client.DisconnectAsync(quit: true);
        }
        await WaitUntilDovecotTrustsTheListingAsync(user);

        var secrets = Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await Host.CreateDbContextAsync();
        if (serverId == 0)
        {
            var server = new MailServer { TenantId = Host.TenantA, Name = "Outbound", SmtpHost = "smtp.example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
            serverId = server.Id;
        }
        var address = $"{user}@example.com";
        var account = new EmailAccount
        {
            TenantId = Host.TenantA,
            EmailAddress = address,
            NormalizedEmailAddress = address.ToUpperInvariant(),
            DisplayName = $"Inbox {size}",
            MailServerId = serverId,
            ImapHost = Dovecot.Host,
            ImapPort = Dovecot.ImapPort,
            ImapUsername = user,
            ImapPasswordProtected = secrets.Protect(SecretKind.ImapPassword, Password),
            ImapUseTls = true,
            ImapPinnedCertificateSha256 = Dovecot.CertificateSha256,
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        };
        db.EmailAccounts.Add(account);
        await db.SaveChangesAsync();
        var mailbox = new Mailbox(size, user, account.Id);
        mailboxes[size] = mailbox;
        return mailbox;
    }

    /// <summary>
    /// Dovecot trusts a listing of new/ or cur/ only if it was taken more than MAILDIR_SYNC_SECS (1 s) after the
    /// folder last changed; otherwise every session more than a second later lists the folder again, until one listing
    /// is late enough (maildir_sync_quick_check). The SELECT above filled cur/ and listed it at once, so wait until
    /// both folders are 2 s old: the next session (in sync-nochange, <see cref="PrimeAsync"/>'s) lists them a last
    /// time and Dovecot's index records them as clean, the state of a server whose mail arrived a while ago.
    /// </summary>
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
        await db.EmailAccounts.Where(a => a.Id == mailbox.AccountId).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.UidValidity, (long?)null)
            .SetProperty(a => a.LastSyncedUid, 0)
            .SetProperty(a => a.HighestModSeq, (long?)null));
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

        await using var db = await Host.CreateDbContextAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        var connection = (Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (Microsoft.Data.Sqlite.SqliteTransaction)tx.GetDbTransaction();
        command.CommandText =
            "INSERT INTO SyncedMessages (TenantId, EmailAccountId, UidValidity, Uid, MessageId, \"From\", \"To\", Subject, Date, Size, IsSeen, Preview, SyncedAt) " +
            "VALUES ($tenant, $account, $validity, $uid, $messageId, 'Test Sender <sender@example.com>', 'Test User <user@example.com>', $subject, $date, 400, 0, 'Hello, this is a test message.', $now)";
        command.Parameters.AddWithValue("$tenant", Host.TenantA.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue("$account", mailbox.AccountId);
        command.Parameters.AddWithValue("$validity", validity);
        var uid = command.Parameters.Add("$uid", Microsoft.Data.Sqlite.SqliteType.Integer);
        var messageId = command.Parameters.Add("$messageId", Microsoft.Data.Sqlite.SqliteType.Text);
        var subject = command.Parameters.Add("$subject", Microsoft.Data.Sqlite.SqliteType.Text);
        var date = command.Parameters.Add("$date", Microsoft.Data.Sqlite.SqliteType.Text);
        command.Parameters.AddWithValue("$now", DateTime.UtcNow);
        var n = 0;
        foreach (var u in uids)
        {
            n++;
            uid.Value = (long)u.Id;
            messageId.Value = $"test-message-{n}@example.com";
            subject.Value = $"Test message {n}";
            date.Value = new DateTime(2024, 1, 1, 8, 0, 0, DateTimeKind.Utc).AddMinutes(n);
            await command.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        await db.EmailAccounts.Where(a => a.Id == mailbox.AccountId).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.UidValidity, validity)
            .SetProperty(a => a.LastSyncedUid, lastUid)
            .SetProperty(a => a.HighestModSeq, modSeq));
    }

    /// <summary>A manual sync through the coordinator, as the Sync button runs it; fails loudly unless it adds exactly <paramref name="expectedNew"/>.</summary>
    public async Task SyncAsync(Mailbox mailbox, int expectedNew)
    {
        var outcome = await Coordinator.RunAsync(Host.TenantA, mailbox.AccountId, SyncTrigger.Manual, CancellationToken.None);
        if (!outcome.Succeeded || outcome.NewMessages != expectedNew)
        {
            throw new InvalidOperationException($"Sync of the {mailbox.Size} mailbox: {outcome}; expected {expectedNew} new messages.");
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
