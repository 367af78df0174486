using Bunit;
using EmailSettings.Core.Alerts;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Portal.Components.Alerts;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>The Push (IDLE) setting in the account dialog, and account alerts on the card, the messages page and as snackbars.</summary>
public sealed class AccountAlertsUiTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Push_is_on_for_a_new_account_and_turning_it_off_is_saved()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        account.PushEnabled.Should().BeTrue("Push (IDLE) is on by default");

        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Switch("Push (IDLE)").HasAttribute("checked").Should().BeTrue());
        cut.Find(".push-help").TextContent.Should().Contain("New mail syncs within seconds when the IMAP server offers IDLE; otherwise every 5 minutes.");
        cut.Switch("Push (IDLE)").Change(false);
        cut.WaitForAssertion(() => cut.Find(".push-help").TextContent.Should().Contain("Checked for new mail every 5 minutes."));
        cut.Button("Save Changes").Click();

        await dialog.Result.WaitAsync(Wait);
        (await ui.Get<EmailAccountService>().GetAsync(account.Id))!.PushEnabled.Should().BeFalse();
        (await ui.Get<EmailAccountService>().GetForEditAsync(account.Id))!.PushEnabled.Should().BeFalse();
    }

    [Fact]
    public async Task The_card_shows_an_announced_problem_and_the_pause_and_updates_when_the_problem_clears()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support Inbox", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var alerts = ui.Core.Services.GetRequiredService<AccountAlerts>();
        await alerts.RaiseAsync(ui.TenantId, account.Id, AccountProblemKind.SyncFailing, "The IMAP server refused the connection.",
            new DateTime(2026, 12, 3, 10, 2, 0, DateTimeKind.Utc));
        await using (var db = await ui.Core.CreateDbContextAsync())
        {
            var stored = await db.EmailAccounts.FindAsync(account.Id);
            stored!.SyncPausedAt = stored.UpdatedAt.AddDays(3);
            await db.SaveChangesAsync();
        }

        var summary = (await ui.Get<EmailAccountService>().GetAsync(account.Id))!;
        var card = ui.Context.Render<EmailAccountCard>(p => p.Add(c => c.Account, summary));
        card.Find(".account-problem").TextContent.Should().Contain("Sync has failed since 3 Dec 2026, 10:02 UTC.").And.Contain("Tenant admins were emailed on");
        card.Find(".sync-paused").TextContent.Should().Contain("Scheduled syncs are paused since").And.Contain("Sync it now or edit it to resume them.");

        // Cleared elsewhere (a sync worked): the card's notice hears it and reads the account again.
        await alerts.ClearAsync(ui.TenantId, account.Id, AccountProblemKind.SyncFailing);
        card.WaitForAssertion(() => card.FindAll(".account-problem").Should().BeEmpty());
        card.FindAll(".sync-paused").Should().HaveCount(1, "the pause lasts until an admin syncs or edits the account");
    }

    [Fact]
    public async Task The_messages_page_warns_of_a_problem_raised_while_it_is_open_and_a_snackbar_says_it_on_any_page()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support Inbox", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "imap-secret");
        var providers = ui.Providers;
        var snackbars = ui.Context.Render<AccountAlertSnackbars>();
        var page = ui.Context.Render<AccountMessagesPage>(p => p.Add(c => c.AccountId, account.Id));
        page.WaitForAssertion(() => page.Markup.Should().Contain("Messages of Support Inbox"));
        page.FindAll(".account-problem").Should().BeEmpty();

        var alerts = ui.Core.Services.GetRequiredService<AccountAlerts>();
        await alerts.RaiseAsync(ui.TenantId, account.Id, AccountProblemKind.ReconnectNeeded, "Microsoft revoked the sign-in.");
        page.WaitForAssertion(() => page.Find(".account-problem").TextContent.Should().Contain("Reconnect needed: Microsoft revoked the sign-in."));
        providers.WaitForAssertion(() => providers.Snackbars().Should().ContainSingle(s => s.StartsWith("Support Inbox needs to be reconnected", StringComparison.Ordinal)));

        // Another tenant's alert reaches neither.
        var other = await ui.Core.Get<global::EmailSettings.Core.MailServers.MailServerService>(ui.Core.TenantB).CreateAsync(
            new global::EmailSettings.Core.MailServers.MailServerInput { Name = "B", SmtpHost = "smtp.b.test" });
        var otherAccount = await ui.Core.Get<EmailAccountService>(ui.Core.TenantB).CreateAsync(new EmailAccountInput
        {
            EmailAddress = "b@b.test", DisplayName = "Tenant B Inbox", MailServerId = other.Value!.Id,
        });
        await alerts.RaiseAsync(ui.Core.TenantB, otherAccount.Value!.Id, AccountProblemKind.ReconnectNeeded, "B's problem.");
        providers.Snackbars().Should().NotContain(s => s.Contains("Tenant B Inbox", StringComparison.Ordinal));
        snackbars.Instance.Should().NotBeNull();
    }
}
