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

    private SyncBed(DovecotServer dovecot, BenchCoreHost host)
    {
        Dovecot = dovecot;
        Host = host;
    }

    public DovecotServer Dovecot { get; }
    public BenchCoreHost Host { get; }
    public SyncCoordinator Coordinator => Host.Services.GetRequiredService<SyncCoordinator>();

    public sealed record Mailbox(int Size, string User, int AccountId);

    public static async Task<SyncBed> StartAsync()
    {
        var dovecot = await DovecotServer.StartAsync();
        var host = await BenchCoreHost.CreateAsync(b => b.Configuration["Sync:Timeout"] = "00:02:00");
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

        var secrets = Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await Host.CreateDbContextAsync();
        if (serverId == 0)
        {
            var server = new MailServer { TenantId = BenchCoreHost.TenantId, Name = "Outbound", SmtpHost = "smtp.example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
            serverId = server.Id;
        }
        var address = $"{user}@example.com";
        var account = new EmailAccount
        {
            TenantId = BenchCoreHost.TenantId,
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

    /// <summary>A manual sync through the coordinator, as the Sync button runs it; fails loudly unless it adds exactly <paramref name="expectedNew"/>.</summary>
    public async Task SyncAsync(Mailbox mailbox, int expectedNew)
    {
        var outcome = await Coordinator.RunAsync(BenchCoreHost.TenantId, mailbox.AccountId, SyncTrigger.Manual, CancellationToken.None);
        if (!outcome.Succeeded || outcome.NewMessages != expectedNew)
        {
            throw new InvalidOperationException($"Sync of the {mailbox.Size} mailbox: {outcome}; expected {expectedNew} new messages.");
        }
    }

    /// <summary>A connected, authenticated MailKit client with INBOX examined, as bare as the engine's own.</summary>
    public async Task<ImapClient> ConnectAsync(Mailbox mailbox)
    {
        var client = new ImapClient
        {
            Timeout = 120_000,
            ServerCertificateValidationCallback = TestCertificates.AcceptOnly(Dovecot.CertificateSha256),
        };
        await client.ConnectAsync(Dovecot.Host, Dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(mailbox.User, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Dovecot.DisposeAsync();
    }
}
