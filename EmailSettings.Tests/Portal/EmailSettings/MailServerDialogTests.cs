using Bunit;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

public class MailServerDialogTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Add_dialog_starts_with_the_spec_defaults_and_labelled_fields()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Markup.Should().Contain("Add Mail Server");
        cut.Input("Server Name").Value().Should().BeEmpty();
        cut.Input("SMTP Host").Value().Should().BeEmpty();
        cut.Input("SMTP Port").Value().Should().Be("587");
        cut.Input("SMTP Username").Value().Should().BeEmpty();
        cut.Input("SMTP Password").GetAttribute("type").Should().Be("password");
        cut.Switch("Use TLS/STARTTLS").HasAttribute("checked").Should().BeTrue();
        cut.MessageUnder("SMTP Port").Should().Be("587 TLS, 465 SSL, 25 plain");
        cut.Button("Add Server").Should().NotBeNull();
        cut.Button("Cancel").Should().NotBeNull();
    }

    [Fact]
    public async Task Saving_an_empty_form_shows_the_required_messages_and_keeps_the_dialog_open()
    {
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());

        cut.Button("Add Server").Click();

        cut.WaitForAssertion(() =>
        {
            cut.MessageUnder("Server Name").Should().Be("Server Name is required.");
            cut.MessageUnder("SMTP Host").Should().Be("SMTP Host is required.");
            cut.HasErrorUnder("Server Name").Should().BeTrue();
        });
        cut.Find(".form-message").TextContent.Should().Contain("Please correct the highlighted fields.");
        // Leaving a still-empty field must not clear its message (MudBlazor's own validation must not win).
        cut.Input("Server Name").Blur();
        cut.MessageUnder("Server Name").Should().Be("Server Name is required.");
        cut.HasErrorUnder("Server Name").Should().BeTrue();
        dialog.Result.IsCompleted.Should().BeFalse();
        (await ui.Get<MailServerService>().AnyAsync()).Should().BeFalse();
    }

    [Theory]
    [InlineData("SMTP Host", "smtp://mail.example.com", "Enter only the host name (for example smtp.example.com), without \"smtp://\".")]
    [InlineData("SMTP Host", "mail.example.com:587", "Enter the host name without a port; put the port in SMTP Port.")]
    [InlineData("SMTP Host", "mail example.com", "SMTP Host cannot contain spaces.")]
    [InlineData("SMTP Host", "-bad-.example.com", "SMTP Host must be a host name such as smtp.example.com or an IP address.")]
    [InlineData("SMTP Port", "0", "SMTP Port must be a number between 1 and 65535.")]
    [InlineData("SMTP Port", "70000", "SMTP Port must be a number between 1 and 65535.")]
    [InlineData("SMTP Password", "secret", "Enter the SMTP Username that goes with this password.")]
    public async Task Each_invalid_value_shows_its_message_under_the_right_field(string label, string value, string message)
    {
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Input("Server Name").Change("Production SMTP");
        cut.Input("SMTP Host").Change("smtp.example.com");

        cut.Input(label).Change(value);
        cut.Button("Add Server").Click();

        var field = label == "SMTP Password" ? "SMTP Username" : label;
        cut.WaitForAssertion(() => cut.MessageUnder(field).Should().Be(message));
        cut.HasErrorUnder(field).Should().BeTrue();
        cut.HasErrorUnder("Server Name").Should().BeFalse();
        dialog.Result.IsCompleted.Should().BeFalse();
        (await ui.Get<MailServerService>().AnyAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task A_fixed_field_loses_its_message_while_typing_after_a_failed_save()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Button("Add Server").Click();
        cut.WaitForAssertion(() => cut.HasErrorUnder("SMTP Host").Should().BeTrue());

        cut.Input("SMTP Host").Change("smtp.example.com");

        cut.WaitForAssertion(() => cut.HasErrorUnder("SMTP Host").Should().BeFalse());
        cut.MessageUnder("SMTP Host").Should().Be("Host name or IP address, for example smtp.example.com");
        cut.HasErrorUnder("Server Name").Should().BeTrue("the name is still empty");
    }

    [Fact]
    public async Task A_second_failed_save_highlights_the_port_again_after_letters_were_replaced_by_a_bad_number()
    {
        // As a new user would: "abc" in SMTP Port, Add Server, then "-1", Add Server again, then "0".
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Input("Server Name").Change("Production SMTP");
        cut.Input("SMTP Host").Change("smtp.example.com");

        cut.Input("SMTP Port").Change("abc");
        cut.Button("Add Server").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("SMTP Port"));

        foreach (var port in new[] { "-1", "0" })
        {
            cut.Input("SMTP Port").Change(port);
            cut.Button("Add Server").Click();

            cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal(["SMTP Port"], $"the save with port {port} failed on the port"));
            cut.MessageUnder("SMTP Port").Should().Be("SMTP Port must be a number between 1 and 65535.");
        }
        cut.Snackbars().Should().Equal(["The mail server was not saved: please correct the highlighted fields."], "one warning, not one per attempt over the dialog");
        cut.Find(".form-message").TextContent.Should().Contain("Please correct the highlighted fields.");
        dialog.Result.IsCompleted.Should().BeFalse();
        (await ui.Get<MailServerService>().AnyAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task Saving_again_without_changes_keeps_every_field_highlighted()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Input("SMTP Port").Change("0");
        cut.Input("SMTP Password").Change("secret");

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            cut.Button("Add Server").Click();

            cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal(
                ["Server Name", "SMTP Host", "SMTP Port", "SMTP Username"], $"attempt {attempt} found the same four problems"));
            cut.MessageUnder("Server Name").Should().Be("Server Name is required.");
            cut.MessageUnder("SMTP Host").Should().Be("SMTP Host is required.");
            cut.MessageUnder("SMTP Port").Should().Be("SMTP Port must be a number between 1 and 65535.");
            cut.MessageUnder("SMTP Username").Should().Be("Enter the SMTP Username that goes with this password.");
        }
    }

    [Fact]
    public async Task Each_failed_save_shows_what_it_found_whatever_the_previous_one_showed()
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());

        cut.Button("Add Server").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Server Name", "SMTP Host"));

        // The name is fixed, the host gets another message, the port a first one.
        cut.Input("Server Name").Change("Production SMTP");
        cut.Input("SMTP Host").Change("smtp://mail.example.com");
        cut.Input("SMTP Port").Change("70000");
        cut.Button("Add Server").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("SMTP Host", "SMTP Port"));
        cut.MessageUnder("SMTP Host").Should().Be("Enter only the host name (for example smtp.example.com), without \"smtp://\".");
        cut.MessageUnder("Server Name").Should().Be("A friendly label, for example Production SMTP");

        // The port keeps its message (same text as before), the host changes again, the name breaks again.
        cut.Input("Server Name").Change(" ");
        cut.Input("SMTP Host").Change("mail example.com");
        cut.Input("SMTP Port").Change("0");
        cut.Button("Add Server").Click();
        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Server Name", "SMTP Host", "SMTP Port"));
        cut.MessageUnder("Server Name").Should().Be("Server Name is required.");
        cut.MessageUnder("SMTP Host").Should().Be("SMTP Host cannot contain spaces.");
        cut.MessageUnder("SMTP Port").Should().Be("SMTP Port must be a number between 1 and 65535.");
    }

    [Theory]
    [InlineData("465", false, "Port 465 normally expects TLS on connect: turn on Use TLS/STARTTLS.")]
    [InlineData("25", true, "Port 25 is usually plain SMTP; many servers on 25 still offer STARTTLS.")]
    [InlineData("587", false, "Port 587 normally uses STARTTLS: turn on Use TLS/STARTTLS unless the server has no TLS.")]
    public async Task A_port_that_does_not_match_the_TLS_setting_shows_a_hint(string port, bool tls, string hint)
    {
        await using var ui = await BunitCore.CreateAsync();
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.FindAll(".port-tls-hint").Should().BeEmpty("587 with TLS is the matching default");

        cut.Input("SMTP Port").Change(port);
        cut.Switch("Use TLS/STARTTLS").Change(tls);

        cut.WaitForAssertion(() => cut.Find(".port-tls-hint").TextContent.Trim().Should().Be(hint));
    }

    [Fact]
    public async Task A_valid_server_is_saved_and_the_dialog_returns_it()
    {
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());

        cut.Input("Server Name").Change("Production SMTP");
        cut.Input("SMTP Host").Change("smtp.example.com");
        cut.Input("SMTP Port").Change("465");
        cut.Input("SMTP Username").Change("mailer");
        cut.Input("SMTP Password").Change("p@ss-Word-1");
        cut.Button("Add Server").Click();

        var result = await dialog.Result.WaitAsync(Wait);
        result!.Canceled.Should().BeFalse();
        var saved = result.Data.Should().BeOfType<MailServerSummary>().Subject;
        saved.Name.Should().Be("Production SMTP");
        saved.SmtpPort.Should().Be(465);
        saved.HasPassword.Should().BeTrue();
        saved.IsDefault.Should().BeTrue("the first server becomes the default");
        cut.WaitForAssertion(() => cut.Snackbars().Should().Contain("Mail server Production SMTP added."));
        (await ui.Get<MailServerService>().ListAsync()).Should().ContainSingle(s => s.SmtpHost == "smtp.example.com" && s.SmtpUsername == "mailer");
    }

    [Fact]
    public async Task Edit_is_prefilled_with_a_blank_password_that_keeps_the_stored_one()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP", "smtp.example.com", 25, "mailer", "original-secret");
        var before = await StoredPasswordAsync(ui, server.Id);
        var dialog = await ui.ShowDialogAsync<MailServerDialog>(new DialogParameters<MailServerDialog> { { d => d.ServerId, server.Id } });
        var cut = ui.Providers;

        cut.WaitForAssertion(() => cut.Input("Server Name").Value().Should().Be("Production SMTP"));
        cut.Markup.Should().Contain("Edit Mail Server");
        cut.Input("SMTP Host").Value().Should().Be("smtp.example.com");
        cut.Input("SMTP Port").Value().Should().Be("25");
        cut.Input("SMTP Username").Value().Should().Be("mailer");
        cut.Input("SMTP Password").Value().Should().BeEmpty();
        cut.MessageUnder("SMTP Password").Should().Be("Leave blank to keep the existing password");
        cut.Markup.Should().NotContain("original-secret");

        cut.Input("Server Name").Change("Relay");
        cut.Button("Save Changes").Click();

        var result = await dialog.Result.WaitAsync(Wait);
        result!.Data.Should().BeOfType<MailServerSummary>().Which.Name.Should().Be("Relay");
        (await StoredPasswordAsync(ui, server.Id)).Should().Be(before, "a blank password keeps the stored one");
        cut.WaitForAssertion(() => cut.Snackbars().Should().Contain("Saved changes to Relay."));
    }

    [Fact]
    public async Task A_failed_save_keeps_the_dialog_open_with_everything_typed()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<MailServerDialog>(new DialogParameters<MailServerDialog> { { d => d.ServerId, server.Id } });
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("Server Name").Value().Should().Be("Production SMTP"));
        // Someone else deletes the server while the dialog is open: the service's answer is the authority.
        (await ui.Get<MailServerService>().DeleteAsync(server.Id)).Succeeded.Should().BeTrue();

        cut.Input("Server Name").Change("Renamed");
        cut.Input("SMTP Password").Change("typed-secret");
        cut.Button("Save Changes").Click();

        cut.WaitForAssertion(() => cut.Find(".form-message").TextContent.Should().Contain(MailServerService.NotFoundMessage));
        cut.Snackbars().Should().Contain(MailServerService.NotFoundMessage);
        dialog.Result.IsCompleted.Should().BeFalse();
        cut.Input("Server Name").Value().Should().Be("Renamed");
        cut.Input("SMTP Password").Value().Should().Be("typed-secret");
    }

    [Fact]
    public async Task Cancel_closes_without_saving()
    {
        await using var ui = await BunitCore.CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("SMTP Host").Should().NotBeNull());
        cut.Input("Server Name").Change("Production SMTP");
        cut.Input("SMTP Host").Change("smtp.example.com");

        cut.Button("Cancel").Click();

        (await dialog.Result.WaitAsync(Wait))!.Canceled.Should().BeTrue();
        (await ui.Get<MailServerService>().AnyAsync()).Should().BeFalse();
    }

    private static async Task<string?> StoredPasswordAsync(BunitCore ui, int id)
    {
        await using var db = await ui.Core.CreateDbContextAsync();
        return await db.MailServers.Where(s => s.Id == id).Select(s => s.SmtpPasswordProtected).SingleAsync();
    }
}
