using AngleSharp.Dom;
using Bunit;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sync;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Portal.EmailSettings;

public class EmailSettingsPageTests
{
    [Fact]
    public async Task Cards_show_what_is_stored_in_the_database_and_never_a_password()
    {
        await using var ui = await BunitCore.CreateAsync();
        var production = await ui.AddServerAsync("Production SMTP", "smtp.example.com", 587, "mailer", "smtp-secret-value");
        await ui.AddServerAsync("Plain relay", "relay.example.com", 25, username: null, password: null);
        await ui.Get<MailServerService>().UpdateAsync((await ui.Get<MailServerService>().ListAsync()).Single(s => s.Name == "Plain relay").Id,
            new MailServerInput { Name = "Plain relay", SmtpHost = "relay.example.com", SmtpPort = 25, UseTls = false });
        await ui.AddAccountAsync("Support Inbox", "support@example.com", production.Id, isDefault: true,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret-value");
        await ui.AddAccountAsync("Sales", "sales@example.com", production.Id);
        _ = ui.Providers;

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".server-card").Should().HaveCount(2));
        var server = ServerCard(page, "Production SMTP");
        server.QuerySelector(".host-port")!.TextContent.Should().Be("smtp.example.com:587");
        server.QuerySelector(".tls-chip")!.TextContent.Should().Contain("TLS on");
        server.QuerySelector(".username")!.TextContent.Should().Be("mailer");
        server.QuerySelector(".account-count")!.TextContent.Should().Be("Used by 2 accounts");
        server.QuerySelector(".default-badge").Should().NotBeNull();
        var relay = ServerCard(page, "Plain relay");
        relay.QuerySelector(".tls-chip")!.TextContent.Should().Contain("TLS off");
        relay.QuerySelector(".username")!.TextContent.Should().Be("None (no sign-in)");
        relay.QuerySelector(".account-count")!.TextContent.Should().Be("Not used by any account");
        relay.QuerySelector(".default-badge").Should().BeNull();

        page.FindAll(".account-card").Should().HaveCount(2);
        var support = AccountCard(page, "Support Inbox");
        support.QuerySelector(".email-address")!.TextContent.Should().Be("support@example.com");
        support.QuerySelector(".mail-server-line")!.TextContent.Should().Contain("Sends via Production SMTP");
        support.QuerySelector(".imap-summary")!.TextContent.Should().Contain("IMAP imap.example.com:993").And.Contain("support");
        support.QuerySelector(".sync-status")!.TextContent.Should().Contain("Not synced yet");
        support.QuerySelector("a.view-messages")!.GetAttribute("href").Should().Match("/communications/settings/email/accounts/*/messages");
        support.QuerySelector(".default-badge").Should().NotBeNull();
        var sales = AccountCard(page, "Sales");
        sales.QuerySelector(".imap-summary")!.TextContent.Trim().Should().Be("Incoming sync not configured");
        sales.QuerySelector("a.view-messages").Should().BeNull();
        sales.QuerySelector(".default-badge").Should().BeNull();

        page.Markup.Should().NotContain("smtp-secret-value").And.NotContain("imap-secret-value");
        page.FindAll("button").Select(b => b.GetAttribute("aria-label")).Should().Contain(
        [
            "Edit Production SMTP", "Delete Production SMTP", "Make Plain relay the default",
            "Edit Sales", "Delete Sales", "Make Sales the default", "Sync Support Inbox",
        ]);
    }

    [Fact]
    public async Task An_account_card_shows_its_last_sync_its_error_and_its_message_count()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var now = DateTime.UtcNow;
        await using (var db = await ui.Core.CreateDbContextAsync())
        {
            var stored = await db.EmailAccounts.SingleAsync(a => a.Id == account.Id);
            stored.LastSyncSucceededAt = now.AddMinutes(-2);
            stored.LastSyncFailedAt = now.AddMinutes(-1);
            stored.LastSyncError = "The IMAP server refused the username or password.";
            stored.FailingSince = now.AddHours(-3);
            db.SyncedMessages.AddRange(Enumerable.Range(1, 3).Select(uid => new SyncedMessage
            {
                TenantId = ui.TenantId, EmailAccountId = account.Id, UidValidity = 1, Uid = uid, Subject = $"Hello {uid}", SyncedAt = now,
            }));
            await db.SaveChangesAsync();
        }

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().ContainSingle());
        var status = AccountCard(page, "Support").QuerySelector(".sync-status")!;
        status.TextContent.Should().Contain("Last synced 2 minutes ago").And.Contain("3 messages");
        status.QuerySelector("time")!.GetAttribute("datetime").Should().StartWith(now.AddMinutes(-2).ToString("yyyy-MM-ddTHH:mm"));
        var error = status.QuerySelector(".sync-error")!.TextContent;
        error.Should().Contain("Last sync failed: The IMAP server refused the username or password.");
        error.Should().Contain("Failing since 3 hours ago");
        status.QuerySelector("a.view-messages")!.GetAttribute("href").Should().Be($"/communications/settings/email/accounts/{account.Id}/messages");
    }

    [Fact]
    public async Task The_sync_button_raises_OnSync_and_spins_with_the_running_sync()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var synced = 0;

        var providers = ui.Providers;

        var card = ui.Context.Render<EmailAccountCard>(p => p
            .Add(c => c.Account, account)
            .Add(c => c.OnSync, () => synced++));
        card.Button("Sync Support").Click();
        synced.Should().Be(1);
        card.Find("button.sync-icon").ClassList.Should().NotContain("sync-spinning");
        card.Find(".sync-button").PointerEnter();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Sync Support now"));

        var running = new SyncProgress(ui.TenantId, account.Id, SyncEventKind.Progress, 5, 15, 0, null, null, DateTime.UtcNow);
        card.Render(p => p.Add(c => c.Sync, running));
        card.Find("button.sync-icon").ClassList.Should().Contain("sync-spinning");
        card.Find(".sync-button").GetAttribute("aria-busy").Should().Be("true");
        card.Find(".sync-button .action-status").TextContent.Should().Be("5 of 15");
        providers.WaitForAssertion(() => providers.Tooltips().Should().Equal("Syncing Support: 5 of 15"));
        // Clicking while it runs joins the running sync rather than being refused.
        card.Button("Sync Support").Click();
        synced.Should().Be(2);

        // Without IMAP the button is off; its slot takes the focus and the tooltip says why.
        var unconfigured = await ui.AddAccountAsync("Sales", "sales@example.com", server.Id);
        var plain = ui.Context.Render<EmailAccountCard>(p => p.Add(c => c.Account, unconfigured).Add(c => c.OnSync, () => synced++));
        plain.Find("button[aria-label='Sync Sales']").HasAttribute("disabled").Should().BeTrue();
        var slot = plain.Find(".sync-button");
        slot.GetAttribute("aria-disabled").Should().Be("true");
        slot.GetAttribute("aria-description").Should().Be("Configure IMAP to sync");
        slot.FocusIn();
        providers.WaitForAssertion(() => providers.Tooltips().Should().Contain("Configure IMAP to sync"));
    }

    [Fact]
    public async Task A_sync_started_anywhere_spins_its_card_with_progress_until_it_ends()
    {
        await using var ui = await BunitCore.CreateAsync();
        var notifier = ui.Get<SyncProgressNotifier>();
        var server = await ui.AddServerAsync("Production SMTP");
        var support = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var sales = await ui.AddAccountAsync("Sales", "sales@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "sales", imapPassword: "imap-secret");
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(2));
        bool Spinning(string name) => AccountCard(page, name).QuerySelector("button.sync-icon")!.ClassList.Contains("sync-spinning");

        await notifier.PublishAsync(new SyncProgress(ui.TenantId, support.Id, SyncEventKind.Started, 0, 0, 0, null, null, DateTime.UtcNow));
        page.WaitForAssertion(() => Spinning("Support").Should().BeTrue());
        Spinning("Sales").Should().BeFalse();
        await notifier.PublishAsync(new SyncProgress(ui.TenantId, support.Id, SyncEventKind.Progress, 40, 120, 0, null, null, DateTime.UtcNow));
        page.WaitForAssertion(() => AccountCard(page, "Support").QuerySelector(".sync-button .action-status")!.TextContent.Should().Be("40 of 120"));
        // Another tenant's sync of an account with the same id does not touch this page.
        await notifier.PublishAsync(new SyncProgress(ui.Core.TenantB, sales.Id, SyncEventKind.Started, 0, 0, 0, null, null, DateTime.UtcNow));
        Spinning("Sales").Should().BeFalse();

        await notifier.PublishAsync(Finished(ui.TenantId, support.Id));
        page.WaitForAssertion(() => Spinning("Support").Should().BeFalse());
        AccountCard(page, "Support").QuerySelector(".sync-button .action-status").Should().BeNull();
    }

    [Fact]
    public async Task Making_a_server_the_default_moves_the_badge_at_once()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Alpha SMTP", "alpha.example.com");
        await ui.AddServerAsync("Beta SMTP", "beta.example.com");
        _ = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => ServerCard(page, "Alpha SMTP").QuerySelector(".default-badge").Should().NotBeNull());

        page.Button("Make Beta SMTP the default").Click();

        page.WaitForAssertion(() =>
        {
            ServerCard(page, "Beta SMTP").QuerySelector(".default-badge").Should().NotBeNull();
            ServerCard(page, "Alpha SMTP").QuerySelector(".default-badge").Should().BeNull();
        });
        page.HasButton("Make Alpha SMTP the default").Should().BeTrue();
        page.HasButton("Make Beta SMTP the default").Should().BeFalse();
        ui.Providers.WaitForAssertion(() => ui.Providers.Snackbars().Should().Contain("Beta SMTP is now the default mail server."));
        (await ui.Get<MailServerService>().ListAsync()).Single(s => s.IsDefault).Name.Should().Be("Beta SMTP");
    }

    [Fact]
    public async Task Making_an_account_the_default_moves_the_badge_at_once()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support", "support@example.com", server.Id, isDefault: true);
        await ui.AddAccountAsync("Sales", "sales@example.com", server.Id);
        _ = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => AccountCard(page, "Support").QuerySelector(".default-badge").Should().NotBeNull());

        page.Button("Make Sales the default").Click();

        page.WaitForAssertion(() =>
        {
            AccountCard(page, "Sales").QuerySelector(".default-badge").Should().NotBeNull();
            AccountCard(page, "Support").QuerySelector(".default-badge").Should().BeNull();
        });
        (await ui.Get<EmailAccountService>().ListAsync()).Single(a => a.IsDefault).DisplayName.Should().Be("Sales");
    }

    [Fact]
    public async Task Deleting_a_server_asks_first_then_shows_its_accounts_without_a_server()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddServerAsync("Backup SMTP", "backup.example.com");
        await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        await ui.AddAccountAsync("Sales", "sales@example.com", server.Id);
        var providers = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(2));

        page.Button("Delete Production SMTP").Click();

        providers.WaitForAssertion(() => providers.Find(".confirm-delete-message").TextContent.Trim()
            .Should().Be("Are you sure you want to delete Production SMTP? This cannot be undone."));
        providers.Find(".confirm-delete-consequence").TextContent.Trim()
            .Should().Be("2 email accounts use this server and will lose their outbound server: Sales, Support.");
        providers.Button("Cancel").Should().NotBeNull();
        providers.Button("Delete").Click();

        page.WaitForAssertion(() =>
        {
            page.FindAll(".server-card").Should().ContainSingle();
            page.FindAll(".account-card .no-server-warning").Should().HaveCount(2);
        });
        AccountCard(page, "Support").QuerySelector(".no-server-warning")!.TextContent.Should().Contain("No mail server");
        providers.WaitForAssertion(() => providers.Snackbars().Should().Contain("Deleted Production SMTP. 2 accounts now have no mail server."));
        providers.FindAll(".confirm-delete-message").Should().BeEmpty("the dialog closed");
        (await ui.Get<EmailAccountService>().ListAsync()).Should().OnlyContain(a => a.MailServerId == null);
    }

    [Fact]
    public async Task Cancelling_a_delete_keeps_the_server()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var providers = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => page.FindAll(".server-card").Should().ContainSingle());

        page.Button("Delete Production SMTP").Click();
        providers.WaitForAssertion(() => providers.FindAll(".confirm-delete-message").Should().ContainSingle());
        providers.FindAll(".confirm-delete-consequence").Should().BeEmpty("no account uses the server");
        providers.Button("Cancel").Click();

        providers.WaitForAssertion(() => providers.FindAll(".confirm-delete-message").Should().BeEmpty());
        page.FindAll(".server-card").Should().ContainSingle();
        (await ui.Get<MailServerService>().AnyAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Deleting_an_account_asks_with_the_exact_text_and_removes_its_card()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support Inbox", "support@example.com", server.Id);
        var providers = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().ContainSingle());

        page.Button("Delete Support Inbox").Click();

        providers.WaitForAssertion(() => providers.Find(".confirm-delete-message").TextContent.Trim()
            .Should().Be("Are you sure you want to delete the account Support Inbox? This cannot be undone."));
        providers.Button("Delete").Click();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().BeEmpty());
        page.Markup.Should().Contain("No email accounts yet");
        ServerCard(page, "Production SMTP").QuerySelector(".account-count")!.TextContent.Should().Be("Not used by any account");
        (await ui.Get<EmailAccountService>().ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_empty_tenant_sees_where_to_start_and_Add_Account_warns_that_a_server_is_needed()
    {
        await using var ui = await BunitCore.CreateAsync();
        var providers = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.Markup.Should().Contain("No mail servers yet"));
        page.Find(".no-server-hint").TextContent.Should().Contain("Add a mail server first");

        page.Button("Add Account").Click();

        providers.WaitForAssertion(() => providers.Find(".no-server-warning").TextContent.Should().Contain("A mail server must be added first."));
        providers.HasButton("Add Account").Should().BeFalse();
    }

    [Fact]
    public async Task Adding_a_server_through_the_page_shows_its_card()
    {
        await using var ui = await BunitCore.CreateAsync();
        var providers = ui.Providers;
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => page.Markup.Should().Contain("No mail servers yet"));

        page.Button("Add Server").Click();
        providers.WaitForAssertion(() => providers.Input("SMTP Host").Should().NotBeNull());
        providers.Input("Server Name").Change("Production SMTP");
        providers.Input("SMTP Host").Change("smtp.example.com");
        providers.Button("Add Server").Click();

        page.WaitForAssertion(() => ServerCard(page, "Production SMTP").QuerySelector(".default-badge").Should().NotBeNull());
        page.Markup.Should().NotContain("No mail servers yet");
    }

    [Fact]
    public async Task Buttons_stay_disabled_until_the_circuit_is_interactive()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        ui.Context.SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".server-card").Should().ContainSingle());
        page.Button("Add Server").HasAttribute("disabled").Should().BeTrue();
        page.Button("Add Account").HasAttribute("disabled").Should().BeTrue();
        page.Button("Edit Production SMTP").HasAttribute("disabled").Should().BeTrue();
        page.Button("Delete Production SMTP").HasAttribute("disabled").Should().BeTrue();
    }

    [Fact]
    public async Task When_a_sync_ends_the_page_reads_that_account_again_even_one_it_had_not_loaded()
    {
        await using var ui = await BunitCore.CreateAsync();
        var notifier = ui.Get<SyncProgressNotifier>();
        var before = notifier.SubscriberCount;
        var server = await ui.AddServerAsync("Production SMTP");
        var support = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var page = ui.Context.Render<EmailSettingsPage>();
        page.WaitForAssertion(() => AccountCard(page, "Support").QuerySelector(".sync-status")!.TextContent.Should().Contain("Not synced yet"));

        // A sync stores messages, then says it has ended: the card shows them without a click.
        await StoreSyncedMessagesAsync(ui, support.Id, 3);
        await notifier.PublishAsync(Finished(ui.TenantId, support.Id));
        page.WaitForAssertion(() => AccountCard(page, "Support").QuerySelector(".sync-status")!.TextContent
            .Should().Contain("3 messages").And.NotContain("Not synced yet"));

        // The first sync of an account saved after the lists were read (the race a fast machine loses): its card appears
        // with the synced state, although no card of it was there to hear the sync.
        var sales = await ui.AddAccountAsync("Sales", "sales@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "sales", imapPassword: "imap-secret");
        await StoreSyncedMessagesAsync(ui, sales.Id, 2);
        await notifier.PublishAsync(Finished(ui.TenantId, sales.Id));
        page.WaitForAssertion(() => AccountCard(page, "Sales").QuerySelector(".sync-status")!.TextContent.Should().Contain("2 messages"));

        // Another tenant's syncs are not heard (publishing waits for every handler, so nothing is pending).
        await StoreSyncedMessagesAsync(ui, support.Id, 1, firstUid: 10);
        await notifier.PublishAsync(Finished(ui.Core.TenantB, support.Id));
        AccountCard(page, "Support").QuerySelector(".sync-status")!.TextContent.Should().Contain("3 messages");

        // Leaving the page ends its subscription.
        notifier.SubscriberCount.Should().BeGreaterThan(before);
        await ui.Context.DisposeComponentsAsync();
        notifier.SubscriberCount.Should().Be(before);
    }

    [Fact]
    public async Task A_page_opened_while_a_sync_runs_spins_that_card_at_once()
    {
        await using var ui = await BunitCore.CreateAsync();
        var notifier = ui.Get<SyncProgressNotifier>();
        var server = await ui.AddServerAsync("Production SMTP");
        var support = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        await notifier.PublishAsync(new SyncProgress(ui.TenantId, support.Id, SyncEventKind.Progress, 3, 9, 0, null, null, DateTime.UtcNow));

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().ContainSingle());
        AccountCard(page, "Support").QuerySelector("button.sync-icon")!.ClassList.Should().Contain("sync-spinning");
        AccountCard(page, "Support").QuerySelector(".sync-button .action-status")!.TextContent.Should().Be("3 of 9");
        await notifier.PublishAsync(Finished(ui.TenantId, support.Id));
        page.WaitForAssertion(() => AccountCard(page, "Support").QuerySelector("button.sync-icon")!.ClassList.Should().NotContain("sync-spinning"));
    }

    private static async Task StoreSyncedMessagesAsync(BunitCore ui, int accountId, int count, int firstUid = 1)
    {
        await using var db = await ui.Core.CreateDbContextAsync();
        var stored = await db.EmailAccounts.SingleAsync(a => a.Id == accountId);
        stored.LastSyncStartedAt = stored.LastSyncSucceededAt = DateTime.UtcNow;
        db.SyncedMessages.AddRange(Enumerable.Range(firstUid, count).Select(uid => new SyncedMessage
        {
            TenantId = ui.TenantId, EmailAccountId = accountId, UidValidity = 1, Uid = uid, Subject = $"Hello {uid}", SyncedAt = DateTime.UtcNow,
        }));
        await db.SaveChangesAsync();
    }

    private static SyncProgress Finished(Guid tenantId, int accountId) =>
        new(tenantId, accountId, SyncEventKind.Completed, 0, 0, 0, null, null, DateTime.UtcNow);

    private static IElement ServerCard(IRenderedComponent<EmailSettingsPage> page, string name) =>
        page.FindAll(".server-card").Single(c => c.QuerySelector(".card-title")!.TextContent.Trim() == name);

    private static IElement AccountCard(IRenderedComponent<EmailSettingsPage> page, string name) =>
        page.FindAll(".account-card").Single(c => c.QuerySelector(".card-title")!.TextContent.Trim() == name);
}
