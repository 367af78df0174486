using System.Diagnostics;
using System.Globalization;
using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Sync.Push;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Benchmarks.Scenarios;

/// <summary>
/// Issue 17: IMAP IDLE push. <c>idle-latency</c>: time from APPEND on the server to the row in the database, push
/// against the poll schedule. <c>idle-memory</c>: managed heap and resident memory per idle watcher with hundreds of
/// accounts idle at once, against as many bare MailKit clients in IDLE.
/// </summary>
public static class IdleScenarios
{
    private const string Password = "Bench-Pa55word!";
    private const int LatencySamples = 20;

    /// <summary>
    /// Dovecot's defaults allow 100 login processes, and with STARTTLS every session keeps its login process as the TLS
    /// proxy: hundreds of idle sessions need more. One user per account, so the 10 sessions per user and address
    /// (mail_max_userip_connections) are never reached.
    /// </summary>
    private static readonly string[] ManyConnections =
    [
        "default_process_limit = 1200",
        "default_client_limit = 3000",
        "mail_max_userip_connections = 20",
    ];

    public static async Task LatencyAsync(Report report)
    {
        const string pollInterval = "00:00:05";
        await using var dovecot = await DovecotServer.StartAsync(certificate: null, ManyConnections);
        await using var host = await CoreTestHost.CreateAsync(b =>
        {
            b.Configuration["Sync:Interval"] = pollInterval;
            b.Configuration["Sync:Timeout"] = "00:00:30";
        });
        var pushed = await AddAccountAsync(host, dovecot, "latency-push", push: true);
        var polled = await AddAccountAsync(host, dovecot, "latency-poll", push: false);
        var baseline = await AddAccountAsync(host, dovecot, "latency-manual", push: false);
        foreach (var account in new[] { pushed, polled, baseline })
        {
            await AppendAsync(dovecot, account.User, 0);
        }
        await host.Host.StartAsync();
        var watchers = host.Services.GetRequiredService<IdleWatchers>();
        await WaitUntilAsync(() => watchers.IsIdling(host.TenantA, pushed.Id), "the push account idles", TimeSpan.FromSeconds(60));
        var notifier = host.Services.GetRequiredService<SyncProgressNotifier>();
        var coordinator = host.Services.GetRequiredService<SyncCoordinator>();

        // Baseline: what any path to the row costs at least, a manual sync that finds the one new message.
        var manual = new Samples();
        for (var i = 1; i <= LatencySamples; i++)
        {
            await AppendAsync(dovecot, baseline.User, i);
            var start = Stopwatch.GetTimestamp();
            var outcome = await coordinator.RunAsync(host.TenantA, baseline.Id, SyncTrigger.Manual, CancellationToken.None);
            manual.Add(Stopwatch.GetElapsedTime(start));
            if (outcome.NewMessages != 1)
            {
                throw new InvalidOperationException($"Manual sync: {outcome}");
            }
        }

        Console.WriteLine($"idle-latency: {LatencySamples} appends to a bare MailKit client in IDLE (APPEND to EXISTS)");
        var bare = await MeasureBareNotificationAsync(dovecot, await AddAccountAsync(host, dovecot, "latency-bare", push: false));
        Console.WriteLine($"idle-latency: {LatencySamples} appends to the idle account");
        var push = await MeasureArrivalsAsync(dovecot, notifier, pushed, randomPhase: null);
        Console.WriteLine($"idle-latency: {LatencySamples} appends to the polled account (Sync:Interval {pollInterval}, appends at a random point of the interval)");
        var poll = await MeasureArrivalsAsync(dovecot, notifier, polled, randomPhase: TimeSpan.Parse(pollInterval, CultureInfo.InvariantCulture));
        await host.Host.StopAsync();

        report.Add(new ResultRow(
            "6. New-mail latency", "APPEND to stored row, IMAP IDLE push",
            $"{Report.Ms(push.Median)} (worst {Report.Ms(push.Max)}, best {Report.Ms(push.Min)})",
            $"bare MailKit IDLE, APPEND to EXISTS {Report.Ms(bare.Median)} (worst {Report.Ms(bare.Max)}); manual sync of 1 new message {Report.Ms(manual.Median)}; polling every 5 s {Report.Ms(poll.Median)} (worst {Report.Ms(poll.Max)})",
            $"{Report.X(push.Median / bare.Median)} of the bare notification; {push.Median / poll.Median:0.000}x of polling",
            "< 1 s median", push.Median < 1000,
            $"n={push.Count} each; polling's median is half its interval: with the default 5 minutes about 150 s"));
    }

    public static async Task MemoryAsync(Report report)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("BENCH_IDLE_ACCOUNTS"), out var n) ? n : 250;
        await using var dovecot = await DovecotServer.StartAsync(certificate: null, ManyConnections);
        await using var host = await CoreTestHost.CreateAsync(b => b.Configuration["Sync:MaxIdleConnections"] = (count + 10).ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"idle-memory: {count} accounts, each synced once");
        var accounts = new List<Account>();
        for (var i = 0; i < count; i++)
        {
            var account = await AddAccountAsync(host, dovecot, $"idle{i:0000}", push: true);
            dovecot.DeliverToMaildir(account.User, [DovecotServer.CreateMessage(1)]);
            accounts.Add(account);
        }
        var coordinator = host.Services.GetRequiredService<SyncCoordinator>();
        foreach (var account in accounts)
        {
            var outcome = await coordinator.RunAsync(host.TenantA, account.Id, SyncTrigger.Manual, CancellationToken.None);
            if (!outcome.Succeeded)
            {
                throw new InvalidOperationException($"Sync of {account.User}: {outcome}");
            }
        }

        // Baseline: as many bare MailKit clients (STARTTLS, LOGIN, EXAMINE INBOX, IDLE), what MailKit itself costs.
        var bare = await MeasureAsync(count, async () =>
        {
            var clients = new List<(ImapClient Client, CancellationTokenSource Done, Task Idle)>();
            foreach (var account in accounts)
            {
                var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.CertificateSha256) };
                await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
                await client.AuthenticateAsync(account.User, Password);
                await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
                var done = new CancellationTokenSource();
                clients.Add((client, done, client.IdleAsync(done.Token)));
            }
            return async () =>
            {
                foreach (var (client, done, idle) in clients)
                {
                    await done.CancelAsync();
                    await idle;
                    await client.DisconnectAsync(true);
                    client.Dispose();
                    done.Dispose();
                }
            };
        });
        Console.WriteLine($"idle-memory: bare MailKit {Kb(bare.Heap)} heap, {Kb(bare.Resident)} resident per client");

        var watchers = host.Services.GetRequiredService<IdleWatchers>();
        var ours = await MeasureAsync(count, async () =>
        {
            await watchers.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => accounts.All(a => watchers.IsIdling(host.TenantA, a.Id)), $"all {count} accounts idle", TimeSpan.FromMinutes(3));
            return () => watchers.StopAsync(CancellationToken.None);
        });
        Console.WriteLine($"idle-memory: watchers {Kb(ours.Heap)} heap, {Kb(ours.Resident)} resident per watcher");
        report.Add(new ResultRow(
            "7. Memory per idle watcher", $"{count} accounts idle at once (STARTTLS, pinned)",
            $"{Kb(ours.Heap)} managed heap per watcher; {Kb(ours.Resident)} resident",
            $"bare MailKit client in IDLE {Kb(bare.Heap)} heap; {Kb(bare.Resident)} resident",
            $"{(double)ours.Heap / bare.Heap:0.00}x heap of bare", "< 200 KB", ours.Resident < 200 * 1024 && ours.Heap < 200 * 1024,
            "heap: GC.GetTotalMemory after forced full collections; resident: VmRSS of the process, native TLS state included"));
    }

    /// <summary>Appends one message at a time and waits until the sync that stored it has committed.</summary>
    private static async Task<Samples> MeasureArrivalsAsync(DovecotServer dovecot, SyncProgressNotifier notifier, Account account, TimeSpan? randomPhase)
    {
        var samples = new Samples();
        using var appender = await ConnectAsync(dovecot, account.User);
        for (var i = 1; i <= LatencySamples; i++)
        {
            if (randomPhase is { } interval)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds));
            }
            var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var subscription = notifier.Subscribe(account.TenantId, e =>
            {
                // The engine publishes Completed after the batch with the row committed.
                if (e.AccountId == account.Id && e.Kind == SyncEventKind.Completed && e.NewMessages > 0)
                {
                    stored.TrySetResult();
                }
                return Task.CompletedTask;
            });
            var start = Stopwatch.GetTimestamp();
            await appender.Inbox.AppendAsync(new AppendRequest(DovecotServer.CreateMessage(1000 + i), MessageFlags.None));
            await stored.Task.WaitAsync(TimeSpan.FromMinutes(2));
            samples.Add(Stopwatch.GetElapsedTime(start));
            Console.Write('.');
        }
        Console.WriteLine();
        await appender.DisconnectAsync(true);
        return samples;
    }

    /// <summary>What the server itself allows: APPEND until a bare MailKit client idle on the same kind of mailbox hears EXISTS.</summary>
    private static async Task<Samples> MeasureBareNotificationAsync(DovecotServer dovecot, Account account)
    {
        var samples = new Samples();
        using var appender = await ConnectAsync(dovecot, account.User);
        using var listener = await ConnectAsync(dovecot, account.User);
        await listener.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Inbox.CountChanged += (_, _) => Volatile.Read(ref heard).TrySetResult();
        using var done = new CancellationTokenSource();
        var idle = listener.IdleAsync(done.Token);
        for (var i = 1; i <= LatencySamples; i++)
        {
            Volatile.Write(ref heard, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var start = Stopwatch.GetTimestamp();
            await appender.Inbox.AppendAsync(new AppendRequest(DovecotServer.CreateMessage(2000 + i), MessageFlags.None));
            await heard.Task.WaitAsync(TimeSpan.FromMinutes(1));
            samples.Add(Stopwatch.GetElapsedTime(start));
            Console.Write('.');
        }
        Console.WriteLine();
        await done.CancelAsync();
        await idle;
        await listener.DisconnectAsync(true);
        await appender.DisconnectAsync(true);
        return samples;
    }

    private sealed record PerConnection(long Heap, long Resident);

    /// <summary>Heap and resident growth per connection while <paramref name="open"/>'s connections stand, after they settled.</summary>
    private static async Task<PerConnection> MeasureAsync(int count, Func<Task<Func<Task>>> open)
    {
        var (heapBefore, residentBefore) = Snapshot();
        var close = await open();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var (heapAfter, residentAfter) = Snapshot();
        await close();
        await Task.Delay(TimeSpan.FromSeconds(2));
        return new PerConnection((heapAfter - heapBefore) / count, (residentAfter - residentBefore) / count);
    }

    private static (long Heap, long Resident) Snapshot()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var rss = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (heap, kb * 1024);
    }

    private sealed record Account(Guid TenantId, int Id, string User);

    private static async Task<Account> AddAccountAsync(CoreTestHost host, DovecotServer dovecot, string user, bool push)
    {
        dovecot.AddUser(user, Password);
        var secrets = host.Services.GetRequiredService<SecretProtector>();
        await using var db = await host.CreateDbContextAsync();
        var server = db.MailServers.FirstOrDefault();
        if (server is null)
        {
            server = new MailServer { TenantId = host.TenantA, Name = "Outbound", SmtpHost = "smtp.example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
        }
        var account = new EmailAccount
        {
            TenantId = host.TenantA,
            EmailAddress = $"{user}@example.com",
            NormalizedEmailAddress = $"{user}@example.com".ToUpperInvariant(),
            DisplayName = user,
            MailServerId = server.Id,
            ImapHost = dovecot.Host,
            ImapPort = dovecot.ImapPort,
            ImapUsername = user,
            ImapPasswordProtected = secrets.Protect(SecretKind.ImapPassword, Password),
            ImapUseTls = true,
            ImapPinnedCertificateSha256 = dovecot.CertificateSha256,
            PushEnabled = push,
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        };
        db.EmailAccounts.Add(account);
        await db.SaveChangesAsync();
        return new Account(host.TenantA, account.Id, user);
    }

    private static async Task AppendAsync(DovecotServer dovecot, string user, int n) =>
        await dovecot.AppendAsync(user, Password, [DovecotServer.CreateMessage(n)]);

    private static async Task<ImapClient> ConnectAsync(DovecotServer dovecot, string user)
    {
        var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.CertificateSha256) };
        await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, Password);
        return client;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await Task.Delay(20);
        }
    }

    private static string Kb(long bytes) => $"{bytes / 1024.0:0.0} KB";
}
