using Bunit;
using Bunit.Rendering;
using EmailSettings.Core.Data;
using EmailSettings.Core.Sending;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

[Trait("Category", "Integration")]
public sealed class SendTestEmailDialogTests : IAsyncLifetime
{
    private CoreTestHost host = null!;
    private SmtpTestServer smtp = null!;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(b => b.Configuration["Sending:Timeout"] = "00:00:03");
        smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(SendingSetup.SmtpUser, SendingSetup.SmtpPassword);
    }

    public async Task DisposeAsync()
    {
        await smtp.DisposeAsync();
        await host.DisposeAsync();
    }

    private static async Task<(IRenderedComponent<ContainerFragment> Cut, IDialogReference Dialog)> OpenAsync(
        BunitCore ctx, int accountId, string? defaultRecipient = "admin@acme.example")
    {
        var cut = ctx.Providers;
        var dialogs = ctx.Context.Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<SendTestEmailDialog>
        {
            { d => d.AccountId, accountId },
            { d => d.AccountName, "Acme Support" },
            { d => d.DefaultRecipient, defaultRecipient },
        };
        IDialogReference? reference = null;
        await cut.InvokeAsync(async () => reference = await dialogs.ShowAsync<SendTestEmailDialog>("Send test email", parameters));
        cut.WaitForAssertion(() => cut.Find("[data-testid=send-test-email]"));
        return (cut, reference!);
    }

    private async Task<List<EmailLogEntry>> LogRowsAsync()
    {
        await using var db = await host.CreateDbContextAsync();
        return await db.EmailLog.AsNoTracking().ToListAsync();
    }

    [Fact]
    public async Task The_recipient_starts_with_the_admins_own_address()
    {
        await using var ctx = BunitCore.For(host, host.TenantA);

        var (cut, _) = await OpenAsync(ctx, accountId: 1, defaultRecipient: "admin@acme.example");

        cut.Find("input[data-testid=test-recipient]").GetAttribute("value").Should().Be("admin@acme.example");
        cut.Markup.Should().Contain("Acme Support");
    }

    [Fact]
    public async Task An_invalid_recipient_is_refused_in_the_dialog_and_nothing_is_sent_or_logged()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, _) = await OpenAsync(ctx, account);

        cut.Find("input[data-testid=test-recipient]").Input("not-an-address");
        cut.Find("[data-testid=send-test-email]").Click();

        cut.WaitForAssertion(() => cut.Markup.Should().Contain("Enter a valid email address, such as support@example.com."));
        cut.FindAll("[data-testid=send-result-success]").Should().BeEmpty();
        smtp.MailFromCount.Should().Be(0);
        (await LogRowsAsync()).Should().BeEmpty();

        cut.Find("input[data-testid=test-recipient]").Input("");
        cut.Find("[data-testid=send-test-email]").Click();
        cut.WaitForAssertion(() => cut.Markup.Should().Contain("Recipient is required."));
    }

    [Fact]
    public async Task Every_refused_send_highlights_the_recipient_whether_its_message_changed_or_not()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, _) = await OpenAsync(ctx, account);

        // Unchanged message twice (the address is checked again while it is typed), then another message, then the first again.
        foreach (var (typed, message) in new[]
        {
            ("not-an-address", "Enter a valid email address, such as support@example.com."),
            ("still not one", "Enter a valid email address, such as support@example.com."),
            ("", "Recipient is required."),
            ("two@@example.com", "Enter a valid email address, such as support@example.com."),
        })
        {
            cut.Find("input[data-testid=test-recipient]").Input(typed);
            cut.Find("[data-testid=send-test-email]").Click();

            cut.WaitForAssertion(() =>
            {
                var control = cut.Find("input[data-testid=test-recipient]").Closest(".mud-input-control")!;
                control.QuerySelector(".mud-input-error").Should().NotBeNull($"\"{typed}\" was refused");
                control.QuerySelector(".mud-input-helper-text")!.TextContent.Trim().Should().Be(message);
            });
        }
        smtp.MailFromCount.Should().Be(0);
        (await LogRowsAsync()).Should().BeEmpty();

        cut.Find("input[data-testid=test-recipient]").Input("ops@example.org");
        cut.WaitForAssertion(() => cut.FindAll(".mud-input-error").Should().BeEmpty("a valid address clears the message as it is typed"));
    }

    [Fact]
    public async Task Sending_delivers_a_real_message_and_shows_its_Message_ID_and_the_servers_response()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, _) = await OpenAsync(ctx, account);

        cut.Find("input[data-testid=test-recipient]").Input("ops@example.org");
        cut.Find("[data-testid=send-test-email]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=send-result-success]"), TimeSpan.FromSeconds(15));
        var received = smtp.ReceivedMessages.Should().ContainSingle().Subject;
        received.RcptTo.Should().Equal("ops@example.org");
        received.MailFrom.Should().Be("support@acme.example");
        received.Message.Subject.Should().Be("Test email from Acme Support");
        var row = (await LogRowsAsync()).Should().ContainSingle().Subject;
        row.Status.Should().Be(EmailLogStatus.Sent);
        var success = cut.Find("[data-testid=send-result-success]").TextContent;
        success.Should().Contain("Sent to ops@example.org.")
            .And.Contain($"<{received.Message.MessageId}>")
            .And.Contain(row.ServerResponse!);
        cut.FindAll("[data-testid=send-test-email]").Should().ContainSingle("the dialog stays open to show the result");
    }

    [Fact]
    public async Task A_failed_send_shows_the_reason_and_keeps_the_dialog_open()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp, password: "Wr0ng-Guess-Pa55");
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, dialog) = await OpenAsync(ctx, account);

        cut.Find("[data-testid=send-test-email]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=send-result-failure]").TextContent.Should().Contain(
            "refused the login for user \"mailer@example.com\""), TimeSpan.FromSeconds(15));
        cut.Find("[data-testid=send-result-failure]").TextContent.Should().NotContain("Wr0ng-Guess-Pa55");
        dialog.Result.IsCompleted.Should().BeFalse();
        cut.Find("[data-testid=send-test-email]").HasAttribute("disabled").Should().BeFalse("the admin can fix the recipient and try again");
        smtp.ReceivedMessages.Should().BeEmpty();
        (await LogRowsAsync()).Should().ContainSingle().Which.Status.Should().Be(EmailLogStatus.Failed);
    }

    [Fact]
    public async Task An_account_without_a_server_explains_what_to_do()
    {
        var server = await host.AddServerAsync(host.TenantA, smtp);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        (await host.Get<global::EmailSettings.Core.MailServers.MailServerService>(host.TenantA).DeleteAsync(server)).Succeeded.Should().BeTrue();
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, _) = await OpenAsync(ctx, account);

        cut.Find("[data-testid=send-test-email]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=send-result-failure]").TextContent.Should().Contain(
            "has no mail server because its server was deleted: edit the account and choose a server."));
        smtp.MailFromCount.Should().Be(0);
    }

    [Fact]
    public async Task While_sending_the_button_shows_progress_and_cannot_be_pressed_again()
    {
        await using var silent = new SilentListener();
        var server = await host.AddServerAsync(host.TenantA, silent.Host, silent.Port, useTls: false);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, _) = await OpenAsync(ctx, account);

        cut.Find("[data-testid=send-test-email]").Click();

        cut.WaitForAssertion(() =>
        {
            var button = cut.Find("[data-testid=send-test-email]");
            button.TextContent.Should().Contain("Sending…");
            button.HasAttribute("disabled").Should().BeTrue();
        });
        cut.WaitForAssertion(() => cut.Find("[data-testid=send-result-failure]").TextContent.Should().Contain(
            "did not answer within 3 seconds"), TimeSpan.FromSeconds(15));
        cut.Find("[data-testid=send-test-email]").TextContent.Should().Contain("Send").And.NotContain("Sending");
    }

    [Fact]
    public async Task Close_closes_the_dialog()
    {
        await using var ctx = BunitCore.For(host, host.TenantA);
        var (cut, dialog) = await OpenAsync(ctx, accountId: 1);

        cut.Find("[data-testid=close-test-email]").Click();

        (await dialog.Result.WaitAsync(TimeSpan.FromSeconds(5)))!.Canceled.Should().BeFalse();
        cut.WaitForAssertion(() => cut.FindAll("[data-testid=send-test-email]").Should().BeEmpty());
    }
}
