using AngleSharp.Dom;
using Bunit;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>The account dialog's Folders to sync, listing the folders of a real Dovecot through the Core.</summary>
public sealed class ImapFolderPickerTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Edit_lists_the_server_s_folders_with_the_stored_password_and_saves_the_ones_checked()
    {
        await using var ui = await BunitCore.CreateAsync();
        var user = await MailboxWithFoldersAsync("Sent", "Projects");
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await CreateAccountAsync(ui, server.Id, user, pinned: true);
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;
        cut.WaitForAssertion(() => Rows(cut).Should().Equal("INBOX"), Wait);
        Box(cut, "INBOX").IsChecked().Should().BeTrue("INBOX is synced by default");

        cut.Find("[data-testid=list-folders]").Click();

        cut.WaitForAssertion(() => Rows(cut).Should().Equal("INBOX", "Projects", "Sent"), Wait);
        cut.Find("[data-testid=folder-count]").TextContent.Trim().Should().Be("3 folders on the server.");
        Box(cut, "Sent").IsChecked().Should().BeFalse();
        Box(cut, "Sent").Change(true);
        cut.WaitForAssertion(() => Box(cut, "Sent").IsChecked().Should().BeTrue());
        cut.Button("Save Changes").Click();

        await dialog.Result.WaitAsync(Wait);
        (await ui.Get<EmailAccountService>().GetForEditAsync(account.Id))!.Folders.Should().Equal("INBOX", "Sent");
    }

    [Fact]
    public async Task A_new_account_lists_once_its_certificate_is_trusted_and_may_sync_other_folders_than_INBOX()
    {
        await using var ui = await BunitCore.CreateAsync();
        var user = await MailboxWithFoldersAsync("Sent");
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        cut.Input("Email Address").Change($"{user}@example.com");
        cut.Input("Display Name").Change("Sent items");
        cut.Input("IMAP Host").Change(dovecot.Server.Host);
        cut.Input("IMAP Port").Change(dovecot.Server.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cut.Input("IMAP Username").Change(user);
        cut.Input("IMAP Password").Change(SyncTestBed.Password);

        // Not trusted yet: the picker says so and points at Test IMAP Connection, where the certificate can be trusted.
        cut.Find("[data-testid=list-folders]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=folder-list-failure]").TextContent
            .Should().Contain("certificate").And.Contain("Use Test IMAP Connection to see the certificate and trust it"), Wait);
        cut.Find("[data-testid=test-connection]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=trust-certificate]").Should().NotBeNull(), Wait);
        cut.Find("[data-testid=trust-certificate]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=test-summary]").TextContent.Should().Contain("signed in as"), Wait);

        cut.Find("[data-testid=list-folders]").Click();
        cut.WaitForAssertion(() => Rows(cut).Should().Equal("INBOX", "Sent"), Wait);
        cut.FindAll("[data-testid=folder-list-failure]").Should().BeEmpty();
        Box(cut, "Sent").Change(true);
        cut.WaitForAssertion(() => Box(cut, "Sent").IsChecked().Should().BeTrue());
        Box(cut, "INBOX").Change(false);
        cut.WaitForAssertion(() => Box(cut, "INBOX").IsChecked().Should().BeFalse());
        cut.Button("Add Account").Click();

        var saved = (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<EmailAccountSummary>().Subject;
        (await ui.Get<EmailAccountService>().GetForEditAsync(saved.Id))!.Folders.Should().Equal("Sent");
    }

    [Fact]
    public async Task With_no_folder_checked_the_dialog_stays_open_and_says_why()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;
        cut.WaitForAssertion(() => Rows(cut).Should().Equal("INBOX"), Wait);

        Box(cut, "INBOX").Change(false);
        cut.Button("Save Changes").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=folder-error]").TextContent
            .Should().Be("Choose at least one folder to sync (INBOX is the usual one)."), Wait);
        dialog.Result.IsCompleted.Should().BeFalse();
        cut.FindAll(".form-message").Should().ContainSingle().Which.TextContent.Should().Contain("Please correct the highlighted fields.");

        Box(cut, "INBOX").Change(true);
        cut.WaitForAssertion(() => cut.FindAll("[data-testid=folder-error]").Should().BeEmpty());
        cut.Button("Save Changes").Click();
        await dialog.Result.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_wrong_password_shows_the_sign_in_failure_and_no_folders()
    {
        await using var ui = await BunitCore.CreateAsync();
        var user = await MailboxWithFoldersAsync("Sent");
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await CreateAccountAsync(ui, server.Id, user, pinned: true);
        await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        var cut = ui.Providers;
        cut.WaitForAssertion(() => Rows(cut).Should().Equal("INBOX"), Wait);

        cut.Input("IMAP Password").Change("Wrong-Pa55word!");
        cut.Find("[data-testid=list-folders]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=folder-list-failure]").TextContent.Should().Contain($"The server rejected the sign-in as \"{user}\""), Wait);
        Rows(cut).Should().Equal("INBOX");
        cut.Find("[data-testid=folder-picker]").OuterHtml.Should().NotContain("Wrong-Pa55word!");
    }

    private static IReadOnlyList<string> Rows(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut) =>
        cut.FindAll("[data-testid=folder-list] [data-folder]").Select(r => r.GetAttribute("data-folder")!).ToList();

    private static IElement Box(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string folder) =>
        cut.Find($"[data-testid=folder-list] [data-folder='{folder}'] input[type=checkbox]");

    /// <summary>A Dovecot user whose mailbox has these folders besides INBOX.</summary>
    private async Task<string> MailboxWithFoldersAsync(params string[] folders)
    {
        var user = SyncTestBed.NewUser();
        dovecot.Server.AddUser(user, SyncTestBed.Password);
        foreach (var folder in folders)
        {
            await SyncFoldersTests.AppendToFolderAsync(dovecot.Server, user, folder, []);
        }
        return user;
    }

    private async Task<EmailAccountSummary> CreateAccountAsync(BunitCore ui, int serverId, string user, bool pinned)
    {
        var created = await ui.Get<EmailAccountService>().CreateAsync(new EmailAccountInput
        {
            DisplayName = "Support", EmailAddress = $"{user}@example.com", MailServerId = serverId,
            ImapHost = dovecot.Server.Host, ImapPort = dovecot.Server.ImapPort, ImapUsername = user, ImapPassword = SyncTestBed.Password,
            ImapPinnedCertificateSha256 = pinned ? dovecot.Server.CertificateSha256 : null,
        });
        created.Succeeded.Should().BeTrue(string.Join("; ", created.FieldErrors.Values));
        return created.Value!;
    }
}

internal static class CheckBoxMarkup
{
    public static bool IsChecked(this IElement checkbox) => checkbox.HasAttribute("checked") || checkbox.GetAttribute("aria-checked") == "true";
}
