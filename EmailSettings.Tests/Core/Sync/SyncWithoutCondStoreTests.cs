using EmailSettings.Core.Data;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>The fallback for servers without CONDSTORE: the same Dovecot, advertising a capability list without it.</summary>
[Trait("Category", "Integration")]
public class SyncWithoutCondStoreTests
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    // Dovecot's usual capabilities less CONDSTORE and QRESYNC.
    private static readonly string[] NoCondStore = ["imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS"];

    [Fact]
    public async Task Without_CONDSTORE_sync_is_still_incremental_and_a_rerun_changes_nothing()
    {
        await using var dovecot = await DovecotServer.StartAsync(null, NoCondStore);
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot, batchSize: 4);
        var (id, user) = await bed.AddAccountAsync();
        await AssertServerLacksCondStoreAsync(dovecot, user);
        await bed.AppendAsync(user, 1, 10);

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(10));
        await bed.AppendAsync(user, 11, 3);
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(3));
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0));

        var messages = await bed.MessagesAsync(id);
        messages.Should().HaveCount(13);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        messages.Select(m => m.Subject).Should().Contain(["Test message 1", "Test message 13"]);
        var account = (await bed.AccountAsync(id))!;
        account.HighestModSeq.Should().BeNull("the server offers no mod-sequences");
        account.LastSyncedUid.Should().Be(messages.Max(m => m.Uid));
    }

    private static async Task AssertServerLacksCondStoreAsync(DovecotServer dovecot, string user)
    {
        using var client = new ImapClient { ServerCertificateValidationCallback = TestCertificates.AcceptOnly(dovecot.CertificateSha256) };
        await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, SyncTestBed.Password);
        client.Capabilities.HasFlag(ImapCapabilities.CondStore).Should().BeFalse();
        await client.DisconnectAsync(true);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SyncWithoutCondStoreTestsOnPostgres : SyncWithoutCondStoreTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
