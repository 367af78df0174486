using Bunit;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

public class EmailAccountDialogTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Add_dialog_starts_with_the_spec_defaults_and_the_default_server_selected()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        await ui.AddServerAsync("Backup SMTP", "backup.example.com");
        await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        cut.Markup.Should().Contain("Add Email Account");
        cut.Input("Email Address").Value().Should().BeEmpty();
        cut.Input("Email Address").HasAttribute("readonly").Should().BeFalse();
        cut.Input("Display Name").Value().Should().BeEmpty();
        cut.Input("Mail Server").Value().Should().Be("Production SMTP (smtp.example.com:587)", "the first server is the default");
        cut.Switch("Set as default account").HasAttribute("checked").Should().BeFalse();
        cut.Input("IMAP Host").Value().Should().BeEmpty();
        cut.Input("IMAP Port").Value().Should().Be("993");
        cut.Input("IMAP Username").Value().Should().BeEmpty();
        cut.Input("IMAP Password").GetAttribute("type").Should().Be("password");
        cut.Switch("Use TLS/SSL").HasAttribute("checked").Should().BeTrue();
        cut.Button("Add Account").Should().NotBeNull();
        cut.Button("Cancel").Should().NotBeNull();
    }

    [Fact]
    public async Task Without_a_mail_server_the_dialog_warns_and_offers_no_way_to_create_an_account()
    {
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Find(".no-server-warning").TextContent.Should().Contain("A mail server must be added first."));
        cut.FindAll("input#email-address").Should().BeEmpty();
        cut.HasButton("Add Account").Should().BeFalse();

        cut.Button("OK").Click();
        (await dialog.Result.WaitAsync(Wait))!.Canceled.Should().BeTrue();
        (await ui.Get<EmailAccountService>().ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Saving_an_empty_form_shows_the_required_messages_and_keeps_the_dialog_open()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());

        cut.Button("Add Account").Click();

        cut.WaitForAssertion(() =>
        {
            cut.MessageUnder("Email Address").Should().Be("Email Address is required.");
            cut.MessageUnder("Display Name").Should().Be("Display Name is required.");
        });
        cut.HasErrorUnder("Mail Server").Should().BeFalse("a server is preselected");
        cut.HasErrorUnder("IMAP Host").Should().BeFalse("IMAP is optional");
        dialog.Result.IsCompleted.Should().BeFalse();
        (await ui.Get<EmailAccountService>().ListAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("Email Address", "not-an-address", "Email Address", "Enter a valid email address, such as support@example.com.")]
    [InlineData("IMAP Host", "imap.example.com", "IMAP Username", "IMAP Username is required to sync incoming email.")]
    [InlineData("IMAP Host", "imap.example.com", "IMAP Password", "IMAP Password is required to sync incoming email.")]
    [InlineData("IMAP Host", "imaps://imap.example.com", "IMAP Host", "Enter only the host name (for example smtp.example.com), without \"imaps://\".")]
    [InlineData("IMAP Username", "support", "IMAP Host", "IMAP Host is required.")]
    [InlineData("IMAP Port", "0", "IMAP Port", "IMAP Port must be a number between 1 and 65535.")]
    public async Task Each_invalid_value_shows_its_message_under_the_right_field(string label, string value, string errorField, string message)
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        cut.Input("Email Address").Change("support@example.com");
        cut.Input("Display Name").Change("Support Inbox");

        cut.Input(label).Change(value);
        cut.Button("Add Account").Click();

        cut.WaitForAssertion(() => cut.MessageUnder(errorField).Should().Be(message));
        cut.HasErrorUnder(errorField).Should().BeTrue();
        cut.HasErrorUnder("Display Name").Should().BeFalse();
        dialog.Result.IsCompleted.Should().BeFalse();
        (await ui.Get<EmailAccountService>().ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_duplicate_address_found_by_the_service_shows_under_Email_Address_and_keeps_what_was_typed()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());

        cut.Input("Email Address").Change("SUPPORT@example.com");
        cut.Input("Display Name").Change("Second support");
        cut.Input("IMAP Host").Change("imap.example.com");
        cut.Input("IMAP Username").Change("support");
        cut.Input("IMAP Password").Change("typed-imap-secret");
        cut.Button("Add Account").Click();

        cut.WaitForAssertion(() => cut.MessageUnder("Email Address").Should().Be(EmailAccountService.DuplicateMessage));
        cut.Snackbars().Should().Contain("Please correct the highlighted fields.");
        dialog.Result.IsCompleted.Should().BeFalse();
        cut.Input("Display Name").Value().Should().Be("Second support");
        cut.Input("IMAP Password").Value().Should().Be("typed-imap-secret");
        (await ui.Get<EmailAccountService>().ListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task The_service_s_duplicate_message_stays_highlighted_on_every_save_until_the_address_changes()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        await ui.AddAccountAsync("Sales", "sales@example.com", server.Id);
        await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        cut.Input("Email Address").Change("support@example.com");
        cut.Input("Display Name").Change("Second support");

        // Same duplicate twice, then another duplicate address (the same message again), then a client-side error.
        foreach (var address in new[] { "support@example.com", "support@example.com", "sales@example.com" })
        {
            cut.Input("Email Address").Change(address);
            cut.Button("Add Account").Click();

            cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal(["Email Address"], $"{address} is taken"));
            cut.MessageUnder("Email Address").Should().Be(EmailAccountService.DuplicateMessage);
        }
        cut.Input("Email Address").Change("not-an-address");
        cut.Input("IMAP Port").Change("abc");
        cut.Button("Add Account").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Email Address", "IMAP Port"));
        cut.MessageUnder("Email Address").Should().Be("Enter a valid email address, such as support@example.com.");
        cut.MessageUnder("IMAP Port").Should().Be("Not a valid number", "MudBlazor's own message for letters in a number field");

        cut.Input("IMAP Port").Change("-1");
        cut.Button("Add Account").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Email Address", "IMAP Port"));
        cut.MessageUnder("IMAP Port").Should().Be("IMAP Port must be a number between 1 and 65535.");
        (await ui.Get<EmailAccountService>().ListAsync()).Should().HaveCount(2);
    }

    [Fact]
    public async Task Without_a_default_server_and_with_several_the_admin_must_choose_one()
    {
        await using var ui = await BunitCore.CreateAsync();
        var first = await ui.AddServerAsync("Production SMTP");
        await ui.AddServerAsync("Backup SMTP", "backup.example.com");
        await ui.AddServerAsync("Marketing SMTP", "marketing.example.com");
        (await ui.Get<MailServerService>().DeleteAsync(first.Id)).Succeeded.Should().BeTrue();
        await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        cut.Input("Mail Server").Value().Should().BeEmpty();
        cut.Input("Email Address").Change("support@example.com");
        cut.Input("Display Name").Change("Support Inbox");

        cut.Button("Add Account").Click();
        cut.Button("Add Account").Click();

        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Mail Server"));
        cut.MessageUnder("Mail Server").Should().Be("Select the mail server to send through.");
        cut.Choose("Mail Server", "Backup SMTP (backup.example.com:587)");
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().BeEmpty());
    }

    [Fact]
    public async Task A_valid_account_is_saved_with_the_chosen_server_and_becomes_the_default()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var backup = await ui.AddServerAsync("Backup SMTP", "backup.example.com");
        var previous = await ui.AddAccountAsync("Old default", "old@example.com", backup.Id, isDefault: true);
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());

        cut.Input("Email Address").Change("support@example.com");
        cut.Input("Display Name").Change("Support Inbox");
        cut.Choose("Mail Server", "Backup SMTP (backup.example.com:587)");
        cut.Switch("Set as default account").Change(true);
        cut.Input("IMAP Host").Change("imap.example.com");
        cut.Input("IMAP Username").Change("support");
        cut.Input("IMAP Password").Change("imap-secret");
        cut.Button("Add Account").Click();

        var result = await dialog.Result.WaitAsync(Wait);
        var saved = result!.Data.Should().BeOfType<EmailAccountSummary>().Subject;
        saved.MailServerId.Should().Be(backup.Id);
        saved.IsDefault.Should().BeTrue();
        saved.IsImapConfigured.Should().BeTrue();
        (await ui.Get<EmailAccountService>().GetAsync(previous.Id))!.IsDefault.Should().BeFalse();
        cut.WaitForAssertion(() => cut.Snackbars().Should().Contain("Email account Support Inbox added."));
    }

    [Fact]
    public async Task Edit_shows_the_address_read_only_and_a_blank_password_keeps_the_stored_one()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id,
            imapHost: "imap.example.com", imapUsername: "support", imapPassword: "stored-imap-secret");
        var before = await StoredPasswordAsync(ui, account.Id);
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Input("Email Address").Value().Should().Be("support@example.com"));
        cut.Markup.Should().Contain("Edit Email Account");
        cut.Input("Email Address").HasAttribute("readonly").Should().BeTrue();
        cut.MessageUnder("Email Address").Should().Be("Cannot be changed after the account is created");
        cut.Input("Display Name").Value().Should().Be("Support");
        cut.Input("Mail Server").Value().Should().Be("Production SMTP (smtp.example.com:587)");
        cut.Input("IMAP Host").Value().Should().Be("imap.example.com");
        cut.Input("IMAP Username").Value().Should().Be("support");
        cut.Input("IMAP Password").Value().Should().BeEmpty();
        cut.MessageUnder("IMAP Password").Should().Be("Leave blank to keep the existing password");
        cut.Markup.Should().NotContain("stored-imap-secret");

        cut.Input("Display Name").Change("Support Inbox");
        cut.Button("Save Changes").Click();

        var result = await dialog.Result.WaitAsync(Wait);
        result!.Data.Should().BeOfType<EmailAccountSummary>().Which.DisplayName.Should().Be("Support Inbox");
        (await StoredPasswordAsync(ui, account.Id)).Should().Be(before);
        cut.WaitForAssertion(() => cut.Snackbars().Should().Contain("Saved changes to Support Inbox."));
    }

    [Fact]
    public async Task Editing_an_account_whose_server_was_deleted_asks_for_a_new_server()
    {
        await using var ui = await BunitCore.CreateAsync();
        var doomed = await ui.AddServerAsync("Old SMTP", "old.example.com");
        await ui.AddServerAsync("New SMTP", "new.example.com");
        var account = await ui.AddAccountAsync("Support", "support@example.com", doomed.Id);
        (await ui.Get<MailServerService>().DeleteAsync(doomed.Id)).Succeeded.Should().BeTrue();
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Find(".lost-server-warning").TextContent.Should().Contain("has no mail server"));
        cut.Button("Save Changes").Click();
        cut.WaitForAssertion(() => cut.MessageUnder("Mail Server").Should().Be("Select the mail server to send through."));
        dialog.Result.IsCompleted.Should().BeFalse();

        cut.Choose("Mail Server", "New SMTP (new.example.com:587)");
        cut.Button("Save Changes").Click();

        var saved = (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<EmailAccountSummary>().Subject;
        saved.MailServerName.Should().Be("New SMTP");
    }

    private static async Task<string?> StoredPasswordAsync(BunitCore ui, int id)
    {
        await using var db = await ui.Core.CreateDbContextAsync();
        return await db.EmailAccounts.Where(a => a.Id == id).Select(a => a.ImapPasswordProtected).SingleAsync();
    }
}
