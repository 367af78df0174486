using Bunit;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.EmailSettings;

[Trait("Category", "Integration")]
public sealed class AccountMessagesPageTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    [Fact]
    public async Task The_synced_messages_are_listed_newest_first_and_the_search_narrows_them()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 30);
        await bed.SyncAsync(id);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);

        var page = ctx.Render<AccountMessagesPage>(p => p.Add(x => x.AccountId, id));

        page.WaitForAssertion(() => page.FindAll("tbody tr").Should().HaveCount(25));
        page.Find("h1").TextContent.Should().Contain(user);
        page.FindAll("thead th").Select(th => th.TextContent.Trim()).Should().Equal("From", "Subject", "Date", "Size", "Seen");
        var firstRow = page.FindAll("tbody tr")[0].TextContent;
        firstRow.Should().Contain("Test message 30").And.Contain("2024-01-01 08:30 UTC").And.Contain("Unread");
        // The sender's name, with the address on its own line (not the raw header).
        page.Find("tbody tr .message-sender").TextContent.Trim().Should().Be("Test Sender");
        page.Find("tbody tr .message-sender-address").TextContent.Trim().Should().Be("sender@example.com");
        // Named as on the account's card; the address is on its own line.
        page.Find($"button[aria-label='Sync Inbox {user}']").Should().NotBeNull();
        page.Find(".account-address").TextContent.Should().Be($"{user}@example.com");
        page.Find("a[href='/communications/settings/email']").TextContent.Should().Contain("Back to Email Settings");

        page.Find("input").Input("message 2");
        page.WaitForAssertion(() => page.FindAll("tbody tr").Should().HaveCount(11), TimeSpan.FromSeconds(15));
        page.Find("tbody tr").TextContent.Should().Contain("Test message 29");

        page.Find("input").Input("nothing like this");
        page.WaitForAssertion(() => page.Find(".no-messages").TextContent.Should().Contain("No messages match \"nothing like this\"."), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task An_account_without_messages_says_so_and_an_unknown_one_says_it_no_longer_exists()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var (id, _) = await bed.AddAccountAsync();
        var (otherTenants, _) = await bed.AddAccountAsync(bed.Host.TenantB);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);

        var empty = ctx.Render<AccountMessagesPage>(p => p.Add(x => x.AccountId, id));
        var foreign = ctx.Render<AccountMessagesPage>(p => p.Add(x => x.AccountId, otherTenants));

        empty.WaitForAssertion(() => empty.Find(".no-messages").TextContent.Should().Contain("No messages synced yet"));
        foreign.WaitForAssertion(() => foreign.Find(".account-not-found").TextContent.Should().Contain("This email account no longer exists."));
        foreign.FindAll("table").Should().BeEmpty();
    }

    private static BunitCore CreateContext(SyncTestBed bed, Guid tenantId) => BunitCore.For(bed.Host, tenantId);
}
