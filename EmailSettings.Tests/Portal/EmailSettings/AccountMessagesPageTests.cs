using Bunit;
using EmailSettings.Core.Sync;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;

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
        page.FindAll("thead th").Select(th => th.TextContent.Trim()).Should().Equal("From", "Subject", "Date", "Size", "Seen", "Flags");
        page.FindAll("#folder-filter").Should().BeEmpty("an account that syncs INBOX only has nothing to filter");
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

    [Fact]
    public async Task Several_folders_add_a_folder_filter_and_column_and_the_page_follows_a_sync_that_removes_and_flags()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 3);
        await SyncFoldersTests.AppendToFolderAsync(dovecot.Server, user, "Sent", Enumerable.Range(11, 2).Select(n => DovecotServer.CreateMessage(n)));
        await SyncFoldersTests.ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Sent");
        await bed.SyncAsync(id);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);
        var popovers = ctx.Providers;
        var page = ctx.Render<AccountMessagesPage>(p => p.Add(x => x.AccountId, id));

        page.WaitForAssertion(() => page.FindAll("tbody tr").Should().HaveCount(5));
        page.FindAll("thead th").Select(th => th.TextContent.Trim()).Should().Equal("From", "Subject", "Folder", "Date", "Size", "Seen", "Flags");
        page.Find("#folder-filter").GetAttribute("value").Should().Be("All folders (5)");
        page.FindAll("tbody tr .message-folder").Select(c => c.TextContent.Trim()).Should().BeEquivalentTo(["INBOX", "INBOX", "INBOX", "Sent", "Sent"]);

        page.Find("#folder-filter").Closest(".mud-input-control")!.MouseDown();
        popovers.WaitForAssertion(() => popovers.FindAll(".mud-popover-open .mud-list-item").Select(i => i.TextContent.Trim())
            .Should().Equal("All folders (5)", "INBOX (3)", "Sent (2)"));
        popovers.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == "Sent (2)").Click();
        page.WaitForAssertion(() => page.FindAll("tbody tr").Select(r => r.QuerySelector(".message-folder")!.TextContent.Trim())
            .Should().Equal("Sent", "Sent"));

        // Another client flags a message in Sent and expunges the other; a sync from the page's button shows both.
        using (var other = await SyncMirrorTests.OtherClientAsync(dovecot.Server, user, "Sent"))
        {
            var sent = await other.GetFolderAsync("Sent");
            await sent.AddFlagsAsync(new UniqueId(1), MessageFlags.Flagged | MessageFlags.Answered, silent: true);
            await sent.AddFlagsAsync(new UniqueId(2), MessageFlags.Deleted, silent: true);
            await sent.ExpungeAsync();
            await other.DisconnectAsync(true);
        }
        page.Find($"button[aria-label='Sync Inbox {user}']").Click();

        page.WaitForAssertion(() => page.FindAll("tbody tr").Should().ContainSingle()
            .Which.QuerySelector(".message-flags")!.TextContent.Should().Contain("Flagged").And.Contain("Answered"), TimeSpan.FromSeconds(15));
        page.WaitForAssertion(() => page.Find("#folder-filter").GetAttribute("value").Should().Be("Sent (1)"));
    }

    private static BunitCore CreateContext(SyncTestBed bed, Guid tenantId) => BunitCore.For(bed.Host, tenantId);
}
