using EmailSettings.Core.Data;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>
/// The local copy follows the server: messages expunged there are removed, flags changed there are mirrored. Against
/// real Dovecots: with QRESYNC (Dovecot's default; also without UNSELECT), with CONDSTORE only (as Gmail), and with neither.
/// </summary>
[Trait("Category", "Integration")]
public class SyncMirrorTests(SyncMirrorTests.Servers servers) : IClassFixture<SyncMirrorTests.Servers>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public const string QResync = "QRESYNC";
    public const string QResyncNoUnselect = "QRESYNC without UNSELECT";
    public const string CondStoreOnly = "CONDSTORE only";
    public const string Plain = "neither";

    public static TheoryData<string> Kinds => new() { QResync, QResyncNoUnselect, CondStoreOnly, Plain };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Messages_expunged_on_the_server_are_removed_and_changed_flags_follow(string kind)
    {
        var dovecot = servers.For(kind);
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot, batchSize: 4);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 10);
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(10));
        var before = await bed.MessagesAsync(id);
        var uid = before.ToDictionary(m => m.Subject, m => (uint)m.Uid);

        // Another mail client works in the mailbox: flags 2, answers 3, reads 4 and expunges 5 and 7.
        using (var other = await OtherClientAsync(dovecot, user))
        {
            var inbox = other.Inbox;
            await inbox.AddFlagsAsync(Uid(uid["Test message 2"]), MessageFlags.Flagged, silent: true);
            await inbox.AddFlagsAsync(Uid(uid["Test message 3"]), MessageFlags.Answered | MessageFlags.Seen, silent: true);
            await inbox.AddFlagsAsync(Uid(uid["Test message 4"]), MessageFlags.Seen, silent: true);
            await inbox.AddFlagsAsync([Uid(uid["Test message 5"]), Uid(uid["Test message 7"])], MessageFlags.Deleted, silent: true);
            await inbox.ExpungeAsync();
            await other.DisconnectAsync(true);
        }
        await bed.AppendAsync(user, 11, 2);

        var outcome = await bed.SyncAsync(id);

        var mirrorsFlags = kind != Plain;
        outcome.Should().Be(SyncOutcome.Success(2) with { Removed = 2, Updated = mirrorsFlags ? 3 : 0 });
        var after = await bed.MessagesAsync(id);
        after.Select(m => m.Subject).Should().BeEquivalentTo(
            new[] { 1, 2, 3, 4, 6, 8, 9, 10, 11, 12 }.Select(n => $"Test message {n}"));
        after.Where(m => m.Subject != "Test message 11" && m.Subject != "Test message 12")
            .Should().BeEquivalentTo(before.Where(m => m.Subject is not ("Test message 5" or "Test message 7")),
                o => o.Excluding(m => m.IsSeen).Excluding(m => m.IsFlagged).Excluding(m => m.IsAnswered),
                "kept messages are the same rows");
        var byName = after.ToDictionary(m => m.Subject);
        if (mirrorsFlags)
        {
            Flags(byName["Test message 2"]).Should().Be((false, true, false));
            Flags(byName["Test message 3"]).Should().Be((true, false, true));
            Flags(byName["Test message 4"]).Should().Be((true, false, false));
        }
        else
        {
            Flags(byName["Test message 3"]).Should().Be((false, false, false), "without CONDSTORE flags are read when a message is first stored");
        }
        Flags(byName["Test message 1"]).Should().Be((false, false, false));
        bed.Host.Logs.AllText.Should().Contain(kind switch
        {
            QResync or QResyncNoUnselect => "QRESYNC reported 2 expunged UIDs and 3 flag changes",
            _ => "compared 10 stored UIDs with 8 on the server; 1 of 1 buckets differ: 2 expunged",
        });

        // Nothing changed since: the next run is the O(1) one (or, without CONDSTORE, a count), and changes nothing.
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0));
        (await bed.MessagesAsync(id)).Should().BeEquivalentTo(after);
        bed.Host.Logs.AllText.Should().Contain("INBOX unchanged");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Flags_removed_on_the_server_are_removed_here_and_the_server_is_never_changed(string kind)
    {
        var dovecot = servers.For(kind);
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 3);
        using (var other = await OtherClientAsync(dovecot, user))
        {
            await other.Inbox.AddFlagsAsync(UniqueIdRange.All, MessageFlags.Seen | MessageFlags.Flagged, silent: true);
            await other.DisconnectAsync(true);
        }
        await bed.SyncAsync(id);
        (await bed.MessagesAsync(id)).Should().OnlyContain(m => m.IsSeen && m.IsFlagged && !m.IsAnswered);

        IList<IMessageSummary> server;
        // Mod-sequences can only be asked for where CONDSTORE is offered.
        var items = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | (kind == Plain ? 0 : MessageSummaryItems.ModSeq);
        using (var other = await OtherClientAsync(dovecot, user))
        {
            await other.Inbox.RemoveFlagsAsync(UniqueIdRange.All, MessageFlags.Seen | MessageFlags.Flagged, silent: true);
            server = await other.Inbox.FetchAsync(0, -1, items);
            await other.DisconnectAsync(true);
        }
        var outcome = await bed.SyncAsync(id);

        if (kind == Plain)
        {
            outcome.Updated.Should().Be(0);
            (await bed.MessagesAsync(id)).Should().OnlyContain(m => m.IsSeen, "without CONDSTORE, flags of stored messages are not compared");
        }
        else
        {
            outcome.Should().Be(SyncOutcome.Success(0) with { Updated = 3 });
            (await bed.MessagesAsync(id)).Should().OnlyContain(m => !m.IsSeen && !m.IsFlagged && !m.IsAnswered);
        }
        // EXAMINE only: the syncs left the server's flags (and, with CONDSTORE, its mod-sequences) as the other client set them.
        using var check = await OtherClientAsync(dovecot, user);
        var now = await check.Inbox.FetchAsync(0, -1, items);
        now.Select(s => (s.UniqueId, s.Flags, s.ModSeq)).Should().Equal(server.Select(s => (s.UniqueId, s.Flags, s.ModSeq)));
        await check.DisconnectAsync(true);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Expunging_a_long_run_and_a_few_scattered_messages_of_a_large_folder_reads_only_the_UIDs_around_them(string kind)
    {
        var dovecot = servers.For(kind);
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot);
        var (id, user) = await bed.AddAccountAsync();
        dovecot.DeliverToMaildir(user, Enumerable.Range(1, 3000).Select(n => DovecotServer.CreateMessage(n)));
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(3000));
        var uids = (await bed.MessagesAsync(id)).Select(m => (uint)m.Uid).ToList();

        // One scattered message in the middle thousand and one near the end, then a long run at the start.
        var gone = new[] { uids[1500], uids[2990] }.Concat(uids.Take(800)).ToList();
        using (var other = await OtherClientAsync(dovecot, user))
        {
            await other.Inbox.AddFlagsAsync(gone.Select(Uid).ToList(), MessageFlags.Deleted, silent: true);
            await other.Inbox.ExpungeAsync();
            await other.DisconnectAsync(true);
        }

        var outcome = await bed.SyncAsync(id);

        outcome.Removed.Should().Be(802);
        var left = (await bed.MessagesAsync(id)).Select(m => (uint)m.Uid).ToList();
        left.Should().Equal(uids.Except(gone));
        if (kind is CondStoreOnly or Plain)
        {
            // Only the UIDs of the buckets (256 UIDs each) that differ are read: the four the run at the start
            // touches, and one each for the two scattered messages.
            bed.Host.Logs.AllText.Should().Contain("compared 3000 stored UIDs with 2198 on the server; 6 of 12 buckets differ: 802 expunged");
        }
    }

    [Fact]
    public async Task A_sync_interrupted_after_applying_expunges_resumes_without_counting_them_again()
    {
        // A Dovecot of its own: the test stops it.
        await using var bed = await SyncTestBed.CreateAsync(Provider, batchSize: 2);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 6);
        await bed.SyncAsync(id);
        using (var other = await OtherClientAsync(bed.Dovecot, user))
        {
            await other.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, silent: true);
            await other.Inbox.ExpungeAsync();
            await other.DisconnectAsync(true);
        }
        await bed.AppendAsync(user, 7, 6);
        // The server goes away once the first batch of new messages is stored: the expunge was applied before it.
        using var stopper = bed.StopServerWhenStored(2);

        var interrupted = await bed.SyncAsync(id);

        interrupted.Status.Should().Be(SyncOutcomeStatus.Failed);
        (await bed.MessagesAsync(id)).Select(m => m.Subject).Should().NotContain("Test message 1");
        stopper.Dispose();
        await bed.Dovecot.RestartAsync();
        var resumed = await bed.SyncAsync(id);

        resumed.Succeeded.Should().BeTrue();
        resumed.Removed.Should().Be(0, "the expunge was committed by the interrupted run");
        var all = await bed.MessagesAsync(id);
        all.Select(m => m.Subject).Should().BeEquivalentTo(Enumerable.Range(2, 11).Select(n => $"Test message {n}"));
        all.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
    }

    private static UniqueId Uid(uint id) => new(id);

    private static (bool Seen, bool Flagged, bool Answered) Flags(SyncedMessage m) => (m.IsSeen, m.IsFlagged, m.IsAnswered);

    /// <summary>A second mail client on the user's INBOX, read-write, as another person's mail program.</summary>
    internal static async Task<ImapClient> OtherClientAsync(DovecotServer dovecot, string user, string folder = "INBOX")
    {
        var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.CertificateSha256), Timeout = 30_000 };
        await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, SyncTestBed.Password);
        var mailbox = folder == "INBOX" ? client.Inbox : await client.GetFolderAsync(folder);
        await mailbox.OpenAsync(FolderAccess.ReadWrite);
        return client;
    }

    /// <summary>One Dovecot per capability set, shared by the tests (each test has its own user).</summary>
    public sealed class Servers : IAsyncLifetime
    {
        public DovecotServer Full { get; private set; } = null!;
        public DovecotServer NoUnselect { get; private set; } = null!;
        public DovecotServer CondStoreOnly { get; private set; } = null!;
        public DovecotServer Plain { get; private set; } = null!;

        public DovecotServer For(string kind) => kind switch
        {
            QResync => Full,
            QResyncNoUnselect => NoUnselect,
            SyncMirrorTests.CondStoreOnly => CondStoreOnly,
            _ => Plain,
        };

        public async Task InitializeAsync()
        {
            Full = await DovecotServer.StartAsync();
            NoUnselect = await DovecotServer.StartAsync(null, DovecotServer.WithoutUnselect);
            CondStoreOnly = await DovecotServer.StartAsync(null, DovecotServer.WithoutQuickResync);
            Plain = await DovecotServer.StartAsync(null, DovecotServer.WithoutCondStore);
            await AssertCapabilitiesAsync();
        }

        /// <summary>Each server advertises what its name says, as MailKit sees it after login.</summary>
        private async Task AssertCapabilitiesAsync()
        {
            foreach (var (server, condStore, qresync, unselect) in new[]
                     { (Full, true, true, true), (NoUnselect, true, true, false), (CondStoreOnly, true, false, true), (Plain, false, false, false) })
            {
                server.AddUser("capabilities", SyncTestBed.Password);
                using var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(server.CertificateSha256) };
                await client.ConnectAsync(server.Host, server.ImapPort, SecureSocketOptions.StartTls);
                await client.AuthenticateAsync("capabilities", SyncTestBed.Password);
                client.Capabilities.HasFlag(ImapCapabilities.CondStore).Should().Be(condStore);
                client.Capabilities.HasFlag(ImapCapabilities.QuickResync).Should().Be(qresync);
                client.Capabilities.HasFlag(ImapCapabilities.Unselect).Should().Be(unselect, client.Capabilities.ToString());
                await client.DisconnectAsync(true);
            }
        }

        public async Task DisposeAsync()
        {
            await Full.DisposeAsync();
            await NoUnselect.DisposeAsync();
            await CondStoreOnly.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }
}

/// <summary>The same mirroring on PostgreSQL (the bucket comparison's GROUP BY and the range deletes run there too).</summary>
[Trait("Category", "Integration")]
public sealed class SyncMirrorTestsOnPostgres(SyncMirrorTests.Servers servers) : SyncMirrorTests(servers)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
