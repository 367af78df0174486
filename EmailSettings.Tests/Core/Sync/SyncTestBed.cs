using System.Collections.Concurrent;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>A Core test host plus a real Dovecot, with helpers to add IMAP accounts and fill their INBOX.</summary>
public sealed class SyncTestBed : IAsyncDisposable
{
    public const string Password = "Imap-Pa55word!";
    private static int userCounter;
    private readonly bool ownsDovecot;

    private SyncTestBed(CoreTestHost host, DovecotServer dovecot, bool ownsDovecot)
    {
        Host = host;
        Dovecot = dovecot;
        this.ownsDovecot = ownsDovecot;
    }

    public CoreTestHost Host { get; }
    public DovecotServer Dovecot { get; }
    public SyncProgressNotifier Notifier => Host.Services.GetRequiredService<SyncProgressNotifier>();
    public SyncCoordinator Coordinator => Host.Services.GetRequiredService<SyncCoordinator>();
    public ImapSyncService Engine => Host.Services.GetRequiredService<ImapSyncService>();

    /// <summary>Uses <paramref name="dovecot"/> when given (shared, not disposed here), otherwise starts a private one.</summary>
    public static Task<SyncTestBed> CreateAsync(DovecotServer? dovecot = null, int batchSize = 200, IDictionary<string, string?>? settings = null,
        Action<Microsoft.Extensions.Hosting.HostApplicationBuilder>? configure = null) =>
        CreateAsync(DatabaseProvider.Sqlite, dovecot, batchSize, settings, configure);

    /// <summary>The same over a database of <paramref name="provider"/>.</summary>
    public static async Task<SyncTestBed> CreateAsync(DatabaseProvider provider, DovecotServer? dovecot = null, int batchSize = 200,
        IDictionary<string, string?>? settings = null, Action<Microsoft.Extensions.Hosting.HostApplicationBuilder>? configure = null)
    {
        var owns = dovecot is null;
        dovecot ??= await DovecotServer.StartAsync();
        var host = await CoreTestHost.CreateAsync(provider, b =>
        {
            b.Configuration["Sync:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            b.Configuration["Sync:Timeout"] = "00:00:10";
            configure?.Invoke(b);
        }, settings: settings);
        return new SyncTestBed(host, dovecot, owns);
    }

    public static string NewUser() => $"user{Interlocked.Increment(ref userCounter)}-{Guid.NewGuid():N}"[..20];

    /// <summary>Adds a Dovecot user and an account of the tenant syncing its INBOX over STARTTLS with the certificate pinned.</summary>
    public async Task<(int AccountId, string User)> AddAccountAsync(Guid? tenantId = null, string? user = null, string password = Password,
        int? port = null, string? host = null, string? pin = "pinned")
    {
        tenantId ??= Host.TenantA;
        user ??= NewUser();
        Dovecot.AddUser(user, Password);
        var secrets = Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await Host.CreateDbContextAsync();
        var server = await db.MailServers.FirstOrDefaultAsync(s => s.TenantId == tenantId);
        if (server is null)
        {
            server = new MailServer { TenantId = tenantId.Value, Name = "Outbound", SmtpHost = "smtp.example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
        }
        var address = $"{user}@example.com";
        var account = new EmailAccount
        {
            TenantId = tenantId.Value,
            EmailAddress = address,
            NormalizedEmailAddress = address.ToUpperInvariant(),
            DisplayName = $"Inbox {user}",
            MailServerId = server.Id,
            ImapHost = host ?? Dovecot.Host,
            ImapPort = port ?? Dovecot.ImapPort,
            ImapUsername = user,
            ImapPasswordProtected = secrets.Protect(SecretKind.ImapPassword, password),
            ImapUseTls = true,
            ImapPinnedCertificateSha256 = pin == "pinned" ? Dovecot.CertificateSha256 : pin,
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        };
        db.EmailAccounts.Add(account);
        await db.SaveChangesAsync();
        return (account.Id, user);
    }

    public Task AppendAsync(string user, int from, int count) =>
        Dovecot.AppendAsync(user, Password, Enumerable.Range(from, count).Select(n => DovecotServer.CreateMessage(n)));

    public Task<SyncOutcome> SyncAsync(int accountId, Guid? tenantId = null) =>
        Coordinator.RunAsync(tenantId ?? Host.TenantA, accountId, SyncTrigger.Manual, CancellationToken.None);

    public async Task<List<SyncedMessage>> MessagesAsync(int accountId)
    {
        await using var db = await Host.CreateDbContextAsync();
        return await db.SyncedMessages.AsNoTracking().Where(m => m.EmailAccountId == accountId).OrderBy(m => m.Uid).ToListAsync();
    }

    public async Task<EmailAccount?> AccountAsync(int accountId)
    {
        await using var db = await Host.CreateDbContextAsync();
        return await db.EmailAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == accountId);
    }

    /// <summary>Records every event the tenant hears.</summary>
    public EventLog Record(Guid? tenantId = null)
    {
        var log = new EventLog();
        log.Subscription = Notifier.Subscribe(tenantId ?? Host.TenantA, e =>
        {
            log.Events.Enqueue(e);
            return Task.CompletedTask;
        });
        return log;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (ownsDovecot)
        {
            await Dovecot.DisposeAsync();
        }
    }

    public sealed class EventLog : IDisposable
    {
        public ConcurrentQueue<SyncProgress> Events { get; } = new();
        public IDisposable? Subscription { get; set; }
        public IReadOnlyList<SyncProgress> For(int accountId) => Events.Where(e => e.AccountId == accountId).ToList();
        public void Dispose() => Subscription?.Dispose();
    }
}

/// <summary>One Dovecot shared by the tests of a class that never stop it; each test uses its own user.</summary>
public sealed class SharedDovecot : IAsyncLifetime
{
    public DovecotServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await DovecotServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Waits for a condition the code under test makes true on another thread.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting until {because}.");
            }
        }
    }

    /// <summary>As above, for a condition read asynchronously (the database).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting until {because}.");
            }
        }
    }
}
