using System.Diagnostics;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Sync.Push;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>IMAP IDLE push against a real Dovecot, in a started Core host whose polls are 5 minutes apart.</summary>
public sealed class IdleWatchersTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    /// <summary>Polls far apart, so only push can bring mail within the test; reconnects quick.</summary>
    private static Dictionary<string, string?> Push(int maxIdle = 100, string interval = "00:05:00") => new()
    {
        ["Sync:Interval"] = interval,
        ["Sync:MaxIdleConnections"] = maxIdle.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sync:IdleReconnectDelay"] = "00:00:00.2",
        ["Sync:IdleMaxReconnectDelay"] = "00:00:01",
    };

    private static readonly TimeSpan PushLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task New_mail_and_flag_changes_reach_the_local_copy_within_seconds_while_the_account_idles()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: Push());
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 2);
        await bed.Host.Host.StartAsync();
        var watchers = Watchers(bed);
        await Eventually.HoldsAsync(() => watchers.IsIdling(bed.Host.TenantA, id), "the account idles after its first sync worked");
        (await bed.MessagesAsync(id)).Should().HaveCount(2);

        var clock = Stopwatch.StartNew();
        await bed.AppendAsync(user, 3, 1);
        await Eventually.HoldsAsync(async () => (await bed.MessagesAsync(id)).Count == 3, "the new message is pushed", PushLimit);
        clock.Elapsed.Should().BeLessThan(PushLimit);

        // A second client marks the new message read: the server reports the flag change to the idle connection.
        using (var client = await ConnectAsync(user))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            var uids = await client.Inbox.SearchAsync(SearchQuery.SubjectContains("Test message 3"));
            await client.Inbox.AddFlagsAsync(uids, MessageFlags.Seen, silent: true);
            await client.DisconnectAsync(true);
        }
        await Eventually.HoldsAsync(async () => (await bed.MessagesAsync(id)).Single(m => m.Subject == "Test message 3").IsSeen,
            "the flag change is pushed", PushLimit);

        watchers.Watcher(id)!.Value.Sessions.Should().Be(1, "one connection served all of it");
        await bed.Host.Host.StopAsync();
        watchers.Count.Should().Be(0, "shutdown closes every idle connection");
    }

    [Fact]
    public async Task When_the_server_goes_away_the_watcher_reconnects_and_catches_up_with_nothing_lost()
    {
        // A private Dovecot: this test stops it.
        await using var server = await DovecotServer.StartAsync();
        await using var bed = await SyncTestBed.CreateAsync(server, settings: Push());
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 1);
        await bed.Host.Host.StartAsync();
        var watchers = Watchers(bed);
        await Eventually.HoldsAsync(() => watchers.IsIdling(bed.Host.TenantA, id), "the account idles");

        await server.StopAsync();
        await Eventually.HoldsAsync(() => watchers.Watcher(id)?.State == WatcherState.Reconnecting, "the watcher notices the drop");
        watchers.IsIdling(bed.Host.TenantA, id).Should().BeFalse("scheduled polls run again while it reconnects");
        // Mail that arrives while the portal is cut off from the server.
        server.DeliverToMaildir(user, [DovecotServer.CreateMessage(2), DovecotServer.CreateMessage(3)]);

        await server.RestartAsync();
        await Eventually.HoldsAsync(() => watchers.Watcher(id) is { State: WatcherState.Idling, Sessions: 2 }, "the watcher is back");
        await Eventually.HoldsAsync(async () => (await bed.MessagesAsync(id)).Count == 3, "the catch-up brings what arrived meanwhile", PushLimit);

        await bed.AppendAsync(user, 4, 1);
        await Eventually.HoldsAsync(async () => (await bed.MessagesAsync(id)).Count == 4, "push works on the new connection", PushLimit);
        var messages = await bed.MessagesAsync(id);
        messages.Select(m => m.Subject).Should().BeEquivalentTo(["Test message 1", "Test message 2", "Test message 3", "Test message 4"]);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task Over_the_cap_an_account_is_polled_and_gets_the_slot_when_the_watched_one_goes()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: Push(maxIdle: 1));
        var (first, _) = await bed.AddAccountAsync();
        var (second, _) = await bed.AddAccountAsync();
        using var events = bed.Record();
        await bed.Host.Host.StartAsync();
        var watchers = Watchers(bed);
        await Eventually.HoldsAsync(() => (watchers.IsIdling(bed.Host.TenantA, first) && watchers.IsWaiting(second))
            || (watchers.IsIdling(bed.Host.TenantA, second) && watchers.IsWaiting(first)), "one account idles and the other waits");
        watchers.Count.Should().Be(1);
        var (watched, polled) = watchers.IsIdling(bed.Host.TenantA, first) ? (first, second) : (second, first);

        // The schedule skips the idle account and syncs the other one.
        var scheduler = await bed.Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var polledRuns = events.For(polled).Count(e => e.Kind == SyncEventKind.Started);
        await scheduler.TriggerJob(SyncScheduler.JobKeyFor(watched));
        await scheduler.TriggerJob(SyncScheduler.JobKeyFor(polled));
        await Eventually.HoldsAsync(() => bed.Host.Logs.AllText.Contains($"Scheduled sync of account {watched} skipped: it is idle on INBOX"),
            "the idle account's poll is skipped");
        await Eventually.HoldsAsync(() => events.For(polled).Count(e => e.Kind == SyncEventKind.Completed) > polledRuns,
            "the polled account is synced by the schedule");

        (await bed.Host.Get<EmailAccountService>(bed.Host.TenantA).DeleteAsync(watched)).Succeeded.Should().BeTrue();
        await Eventually.HoldsAsync(() => watchers.IsIdling(bed.Host.TenantA, polled), "the freed slot goes to the waiting account");
        watchers.Count.Should().Be(1);
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task Saving_an_account_restarts_its_watcher_turning_push_off_stops_it_and_deleting_it_stops_it()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: Push());
        var (id, user) = await bed.AddAccountAsync();
        await bed.Host.Host.StartAsync();
        var watchers = Watchers(bed);
        await Eventually.HoldsAsync(() => watchers.IsIdling(bed.Host.TenantA, id), "the account idles");
        var number = watchers.Watcher(id)!.Value.Number;

        // Another tenant naming this account id stops nothing.
        await watchers.AccountSavedAsync(bed.Host.TenantB, id, CancellationToken.None);
        await watchers.AccountDeletedAsync(bed.Host.TenantB, id, CancellationToken.None);
        watchers.Watcher(id)!.Value.Number.Should().Be(number);
        watchers.IsIdling(bed.Host.TenantA, id).Should().BeTrue();

        var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
        var input = (await accounts.GetForEditAsync(id))!;
        input.DisplayName = "Support Inbox";
        (await accounts.UpdateAsync(id, input)).Succeeded.Should().BeTrue();
        await Eventually.HoldsAsync(() => watchers.Watcher(id) is { State: WatcherState.Idling } w && w.Number > number,
            "a new watcher idles with the saved settings");

        input.PushEnabled = false;
        using var events = bed.Record();
        (await accounts.UpdateAsync(id, input)).Succeeded.Should().BeTrue();
        watchers.Watcher(id).Should().BeNull("turning push off stops the watcher at once");
        await Eventually.HoldsAsync(() => events.For(id).Any(e => e.Kind == SyncEventKind.Completed), "the save's sync ran");
        watchers.Watcher(id).Should().BeNull("without push the account is only polled");
        (await bed.AccountAsync(id))!.PushEnabled.Should().BeFalse();

        input.PushEnabled = true;
        (await accounts.UpdateAsync(id, input)).Succeeded.Should().BeTrue();
        await Eventually.HoldsAsync(() => watchers.IsIdling(bed.Host.TenantA, id), "push on again");

        (await accounts.DeleteAsync(id)).Succeeded.Should().BeTrue();
        watchers.Watcher(id).Should().BeNull("deleting the account stops its watcher at once");
        watchers.Count.Should().Be(0);
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task A_server_without_IDLE_leaves_the_account_on_the_poll_schedule()
    {
        await using var server = await DovecotServer.StartAsync(null, ["imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS CONDSTORE"]);
        await using var bed = await SyncTestBed.CreateAsync(server, settings: Push());
        var (id, _) = await bed.AddAccountAsync();
        await bed.Host.Host.StartAsync();
        var watchers = Watchers(bed);
        await Eventually.HoldsAsync(() => watchers.IdleNotOffered(id), "the watcher finds no IDLE");
        watchers.Watcher(id).Should().BeNull();
        watchers.IsIdling(bed.Host.TenantA, id).Should().BeFalse();
        bed.Host.Logs.AllText.Should().Contain($"The IMAP server of account {id} does not offer IDLE");

        var before = (await bed.AccountAsync(id))!.LastSyncSucceededAt;
        var outcome = await bed.Coordinator.RunAsync(bed.Host.TenantA, id, SyncTrigger.Scheduled, CancellationToken.None);
        outcome.Succeeded.Should().BeTrue("scheduled syncs keep running");
        watchers.Watcher(id).Should().BeNull("a working sync does not retry a server without IDLE");
        (await bed.AccountAsync(id))!.LastSyncSucceededAt.Should().BeAfter(before!.Value);
        await bed.Host.Host.StopAsync();
    }

    [Fact]
    public async Task Reconnect_waits_double_up_to_the_cap_with_jitter()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: new Dictionary<string, string?>
        {
            ["Sync:IdleReconnectDelay"] = "00:00:05",
            ["Sync:IdleMaxReconnectDelay"] = "00:05:00",
        });
        var watchers = Watchers(bed);
        var first = Enumerable.Range(0, 50).Select(_ => watchers.ReconnectDelay(1)).ToList();
        first.Should().OnlyContain(d => d >= TimeSpan.FromSeconds(2.5) && d <= TimeSpan.FromSeconds(5));
        first.Distinct().Should().HaveCountGreaterThan(1, "jitter keeps many watchers from reconnecting in step");
        watchers.ReconnectDelay(3).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(10)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(20));
        watchers.ReconnectDelay(50).Should().BeLessThanOrEqualTo(TimeSpan.FromMinutes(5)).And.BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(2.5));
    }

    private static IdleWatchers Watchers(SyncTestBed bed) => bed.Host.Services.GetRequiredService<IdleWatchers>();

    private async Task<ImapClient> ConnectAsync(string user)
    {
        var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.Server.CertificateSha256) };
        await client.ConnectAsync(dovecot.Server.Host, dovecot.Server.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, SyncTestBed.Password);
        return client;
    }
}
