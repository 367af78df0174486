using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.Sync;

[Trait("Category", "Integration")]
public class SyncServiceTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task Another_tenants_account_cannot_be_synced_or_listed()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync(bed.Host.TenantA);
        await bed.AppendAsync(user, 1, 2);

        var sync = await bed.Host.Get<SyncService>(bed.Host.TenantB).RequestSyncAsync(id);
        var list = await bed.Host.Get<MessageService>(bed.Host.TenantB).ListAsync(id, null, 0, 10);

        sync.Status.Should().Be(ResultStatus.NotFound);
        list.Status.Should().Be(ResultStatus.NotFound);
        (await bed.MessagesAsync(id)).Should().BeEmpty();
        await FluentActions.Awaiting(() => bed.Host.Get<SyncService>(bed.Host.TenantA, isAdmin: false).RequestSyncAsync(id))
            .Should().ThrowAsync<TenantAccessDeniedException>();
    }

    [Fact]
    public async Task An_account_without_IMAP_settings_says_what_is_missing()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, _) = await bed.AddAccountAsync();
        await using (var db = await bed.Host.CreateDbContextAsync())
        {
            await db.EmailAccounts.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.ImapHost, (string?)null));
        }

        var result = await bed.Host.Get<SyncService>(bed.Host.TenantA).RequestSyncAsync(id);

        result.Status.Should().Be(ResultStatus.Invalid);
        result.ErrorFor("ImapHost").Should().Be(SyncService.NotConfiguredMessage);
    }

    [Fact]
    public async Task Messages_are_listed_newest_first_in_pages_and_searchable_by_subject_or_sender()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 12);
        await bed.Dovecot.AppendAsync(user, SyncTestBed.Password,
            [DovecotServer.CreateMessage(100, from: "Invoices 50% <billing_dept@example.org>")]);
        (await bed.Host.Get<SyncService>(bed.Host.TenantA).RequestSyncAsync(id)).Value!.NewMessages.Should().Be(13);
        var messages = bed.Host.Get<MessageService>(bed.Host.TenantA);

        var first = (await messages.ListAsync(id, null, 0, 5)).Value!;
        var third = (await messages.ListAsync(id, null, 2, 5)).Value!;
        var bySubject = (await messages.ListAsync(id, "MESSAGE 1", 0, 50)).Value!;
        var bySender = (await messages.ListAsync(id, "billing_dept", 0, 50)).Value!;
        var literalPercent = (await messages.ListAsync(id, "50%", 0, 50)).Value!;
        var wildcardIsLiteral = (await messages.ListAsync(id, "billing%dept", 0, 50)).Value!;

        first.TotalCount.Should().Be(13);
        first.Items.Select(m => m.Subject).Should().Equal("Test message 100", "Test message 12", "Test message 11", "Test message 10", "Test message 9");
        third.Items.Select(m => m.Subject).Should().Equal("Test message 3", "Test message 2", "Test message 1");
        bySubject.Items.Select(m => m.Subject).Should().Equal("Test message 100", "Test message 12", "Test message 11", "Test message 10", "Test message 1");
        bySender.Items.Should().ContainSingle().Which.From.Should().Contain("billing_dept@example.org");
        literalPercent.Items.Should().ContainSingle();
        wildcardIsLiteral.Items.Should().BeEmpty();
        first.AccountName.Should().Contain(user);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SyncServiceTestsOnPostgres(SharedDovecot dovecot) : SyncServiceTests(dovecot)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
