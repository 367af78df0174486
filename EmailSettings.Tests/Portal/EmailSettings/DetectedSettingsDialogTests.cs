using Bunit;
using Bunit.Rendering;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Autodetect;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>
/// Settings detection in the Add Email Account and Add Mail Server dialogs, with the real detector against the local
/// DNS and HTTPS servers of <see cref="AutodetectWorld"/> (a world of its own for this class) and the real Core.
/// </summary>
public sealed class DetectedSettingsDialogTests(AutodetectWorld world) : IClassFixture<AutodetectWorld>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Leaving_the_address_field_proposes_the_IMAP_settings_and_says_where_they_came_from()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);

        await TypeAsync(cut, "Email Address", "support@listed.test");

        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal]"), Wait);
        cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("Found in the Thunderbird database");
        cut.Find("[data-testid=proposal-imap]").TextContent.Should().Contain("imap.listed.test:993 (TLS on connect), username support@listed.test");
        cut.Find("[data-testid=proposal-smtp]").TextContent.Should().Contain("smtp.listed.test:587 (STARTTLS)");
        cut.Find("[data-testid=add-server-choice]").TextContent.Trim().Should().Be("Add server smtp.listed.test:587 for this account");
        cut.Input("IMAP Host").Value().Should().BeEmpty("a proposal changes nothing until it is used");
    }

    [Fact]
    public async Task Use_these_settings_fills_the_fields_in_one_click_and_keeps_what_the_admin_typed()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        await TypeAsync(cut, "IMAP Username", "typed-user");
        await TypeAsync(cut, "IMAP Port", "143");

        await TypeAsync(cut, "Email Address", "me@own.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("From own.test's autoconfig"), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.Input("IMAP Host").Value().Should().Be("imap.own.test");
        cut.Input("IMAP Username").Value().Should().Be("typed-user");
        cut.Input("IMAP Port").Value().Should().Be("143");
        cut.Switch("Use TLS/SSL").HasAttribute("checked").Should().BeTrue();
        cut.Find("[data-testid=proposal-applied]").TextContent.Should()
            .Contain("Using the settings for own.test: From own.test's autoconfig.")
            .And.Contain("Kept what you typed: IMAP Port, IMAP Username.");
        cut.FindAll("[data-testid=proposal]").Should().BeEmpty();
    }

    [Fact]
    public async Task A_field_the_proposal_filled_is_replaced_by_the_next_proposal_but_a_typed_one_is_not()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        await UseProposalAsync(cut, "me@own.test");
        cut.Input("IMAP Username").Value().Should().Be("me@own.test");
        await TypeAsync(cut, "IMAP Username", "typed-user");

        await UseProposalAsync(cut, "me@listed.test");

        cut.Input("IMAP Host").Value().Should().Be("imap.listed.test", "the host came from the first proposal, not from the admin");
        cut.Input("IMAP Username").Value().Should().Be("typed-user");
    }

    [Fact]
    public async Task A_server_of_the_tenant_that_matches_is_proposed_for_Mail_Server_and_no_new_server_is_offered()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var listed = await ui.AddServerAsync("Listed SMTP", "SMTP.listed.test", 587, username: "support@listed.test");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);
        cut.Input("Mail Server").Value().Should().Be("Production SMTP (smtp.example.com:587)", "the default server is preselected");

        await TypeAsync(cut, "Email Address", "support@listed.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-server]").TextContent.Trim().Should()
            .Be("Your mail server Listed SMTP uses smtp.listed.test:587: it will be selected in Mail Server."), Wait);
        cut.FindAll("[data-testid=add-server-choice]").Should().BeEmpty();
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.Input("Mail Server").Value().Should().Be("Listed SMTP (SMTP.listed.test:587)");
        await TypeAsync(cut, "Display Name", "Support");
        await TypeAsync(cut, "IMAP Password", "imap-secret");
        await ClickAsync(cut.Button("Add Account"));
        var saved = (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<EmailAccountSummary>().Subject;
        saved.MailServerId.Should().Be(listed.Id);
        saved.ImapHost.Should().Be("imap.listed.test");
        (await ui.Get<MailServerService>().ListAsync()).Should().HaveCount(2, "no server was added");
    }

    [Fact]
    public async Task A_Mail_Server_the_admin_chose_is_kept_when_another_server_matches()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        await ui.AddServerAsync("Listed SMTP", "smtp.listed.test", 587);
        await ui.AddServerAsync("Backup SMTP", "backup.example.com");
        await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);
        cut.Choose("Mail Server", "Backup SMTP (backup.example.com:587)");

        await TypeAsync(cut, "Email Address", "support@listed.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-server]").TextContent.Trim().Should()
            .Be("Your mail server Listed SMTP uses smtp.listed.test:587; Mail Server stays as you chose. It signs in as mailer."), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.Input("Mail Server").Value().Should().Be("Backup SMTP (backup.example.com:587)");
        cut.Input("IMAP Host").Value().Should().Be("imap.listed.test");
    }

    [Fact]
    public async Task Without_a_matching_server_the_account_adds_its_own_through_the_server_service_asking_only_for_the_password()
    {
        await using var ui = await CreateAsync();
        var production = await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);
        await TypeAsync(cut, "Display Name", "Listed Support");
        await UseProposalAsync(cut, "support@listed.test");

        cut.Find("[data-testid=new-server]").TextContent.Should()
            .Contain("New mail server: smtp.listed.test:587")
            .And.Contain("smtp.listed.test:587 (STARTTLS), signs in as support@listed.test.");
        cut.FindAll("input#mail-server").Should().BeEmpty("the new server stands where the Mail Server list was");
        cut.Input("Server Name").Value().Should().Be("listed.test Mail");
        cut.Input("SMTP Password").Value().Should().BeEmpty();
        await TypeAsync(cut, "IMAP Password", "imap-secret");

        // Saving without the SMTP password asks for it and adds nothing; every failed save shows it again.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await ClickAsync(cut.Button("Add Account"));
            cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("SMTP Password"));
            cut.MessageUnder("SMTP Password").Should().Be("SMTP Password is required to send through smtp.listed.test.");
        }
        (await ui.Get<MailServerService>().ListAsync()).Should().ContainSingle();

        await TypeAsync(cut, "SMTP Password", "smtp-secret");
        await ClickAsync(cut.Button("Add Account"));

        var saved = (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<EmailAccountSummary>().Subject;
        var servers = await ui.Get<MailServerService>().ListAsync();
        var added = servers.Should().HaveCount(2).And.ContainSingle(s => s.Id != production.Id).Subject;
        added.Should().BeEquivalentTo(new { Name = "listed.test Mail", SmtpHost = "smtp.listed.test", SmtpPort = 587, UseTls = true, SmtpUsername = "support@listed.test", HasPassword = true, IsDefault = false });
        servers.Single(s => s.Id == production.Id).IsDefault.Should().BeTrue("the first server stays the default");
        saved.MailServerId.Should().Be(added.Id);
        saved.ImapHost.Should().Be("imap.listed.test");
        saved.IsImapConfigured.Should().BeTrue();
        await using var db = await ui.Core.CreateDbContextAsync();
        var stored = await db.MailServers.SingleAsync(s => s.Id == added.Id);
        stored.TenantId.Should().Be(ui.TenantId);
        stored.SmtpPasswordProtected.Should().NotBeNullOrEmpty().And.NotContain("smtp-secret");
        cut.WaitForAssertion(() => cut.Snackbars().Should().Contain("Mail server listed.test Mail added.").And.Contain("Email account Listed Support added."));
    }

    [Fact]
    public async Task The_admin_can_leave_out_the_new_server_or_go_back_to_the_server_list()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        await TypeAsync(cut, "Email Address", "support@listed.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-server-choice] input"), Wait);
        await cut.Find("[data-testid=add-server-choice] input").ChangeAsync(new ChangeEventArgs { Value = false });
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.FindAll("[data-testid=new-server]").Should().BeEmpty();
        cut.Input("Mail Server").Value().Should().Be("Production SMTP (smtp.example.com:587)");
        cut.Input("IMAP Host").Value().Should().Be("imap.listed.test");

        await ClickAsync(cut.Find("[data-testid=detect-settings]"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=use-settings]"), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=new-server]"));
        await ClickAsync(cut.Find("[data-testid=choose-existing-server]"));
        cut.FindAll("[data-testid=new-server]").Should().BeEmpty();
        cut.Input("Mail Server").Value().Should().Be("Production SMTP (smtp.example.com:587)");
    }

    [Fact]
    public async Task A_new_server_the_service_refuses_keeps_the_account_draft_and_shows_why()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);
        await TypeAsync(cut, "Display Name", "Listed Support");
        await UseProposalAsync(cut, "support@listed.test");
        await TypeAsync(cut, "IMAP Password", "imap-secret");
        await TypeAsync(cut, "Server Name", new string('n', 101));
        await TypeAsync(cut, "SMTP Password", "smtp-secret");

        await ClickAsync(cut.Button("Add Account"));

        cut.WaitForAssertion(() => cut.HighlightedFields().Should().Equal("Server Name"));
        cut.MessageUnder("Server Name").Should().Be("Server Name must be at most 100 characters.");
        dialog.Result.IsCompleted.Should().BeFalse();
        cut.Input("Display Name").Value().Should().Be("Listed Support");
        cut.Input("IMAP Host").Value().Should().Be("imap.listed.test");
        (await ui.Get<MailServerService>().ListAsync()).Should().ContainSingle();
        (await ui.Get<EmailAccountService>().ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_server_added_for_an_account_that_then_fails_stays_selected_and_the_page_hears_of_it()
    {
        await using var ui = await CreateAsync();
        var production = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support", "support@listed.test", production.Id);
        var added = new List<MailServerSummary>();
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog>
        {
            { d => d.OnServerAdded, EventCallback.Factory.Create<MailServerSummary>(this, added.Add) },
        });
        var cut = await WaitForFormAsync(ui);
        await TypeAsync(cut, "Display Name", "Second support");
        await UseProposalAsync(cut, "support@listed.test");
        await TypeAsync(cut, "SMTP Password", "smtp-secret");
        await TypeAsync(cut, "IMAP Password", "imap-secret");

        await ClickAsync(cut.Button("Add Account"));

        cut.WaitForAssertion(() => cut.MessageUnder("Email Address").Should().Be(EmailAccountService.DuplicateMessage));
        added.Should().ContainSingle().Which.SmtpHost.Should().Be("smtp.listed.test");
        cut.Input("Mail Server").Value().Should().Be("listed.test Mail (smtp.listed.test:587)", "the added server is the account's now");
        dialog.Result.IsCompleted.Should().BeFalse();
        await TypeAsync(cut, "Email Address", "second@listed.test");
        // The new address is looked up too; its proposal (not used) re-renders the dialog, so wait for it before clicking.
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-server]").TextContent.Should().Contain("already selected in Mail Server"), Wait);
        await ClickAsync(cut.Button("Add Account"));
        (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<EmailAccountSummary>().Which.MailServerId.Should().Be(added[0].Id);
        (await ui.Get<MailServerService>().ListAsync()).Should().HaveCount(2, "the server was added once");
    }

    [Fact]
    public async Task A_dismissed_proposal_stays_dismissed_for_that_address_until_Detect_settings_is_clicked()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        await TypeAsync(cut, "Email Address", "support@listed.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=dismiss-settings]"), Wait);
        await ClickAsync(cut.Find("[data-testid=dismiss-settings]"));
        cut.FindAll("[data-testid=proposal]").Should().BeEmpty();

        await TypeAsync(cut, "Email Address", "me@own.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("From own.test's autoconfig"), Wait);
        var lookups = world.RequestsFor("listed.test").Count;
        await TypeAsync(cut, "Email Address", "Support@Listed.test");

        cut.FindAll("[data-testid=proposal]").Should().BeEmpty();
        cut.FindAll("[data-testid=detection-progress]").Should().BeEmpty("a dismissed address is not looked up again");
        world.RequestsFor("listed.test").Should().HaveCount(lookups);
        cut.Input("IMAP Host").Value().Should().BeEmpty();

        await ClickAsync(cut.Find("[data-testid=detect-settings]"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("Found in the Thunderbird database"), Wait);
    }

    public static TheoryData<string, string, string?> Failures => new()
    {
        { "not-an-address", "Enter a valid email address, such as support@example.com.", null },
        { "someone@nothing.test", "No settings found for nothing.test. Enter the server settings by hand.", null },
        {
            "someone@malformed.test",
            "No settings found for malformed.test. autoconfig.malformed.test: the file is not well-formed XML*. Enter the server settings by hand.",
            null
        },
        {
            "someone@script.test",
            "No settings found for script.test. autoconfig.script.test: the file contains a <script> element, so it is not a mail configuration; ignored. Enter the server settings by hand.",
            null
        },
        { "someone@slowhosted.test", "No settings found for slowhosted.test within 1 s. Enter the server settings by hand.", "00:00:01" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Each_failure_is_a_message_next_to_the_address_and_the_form_goes_on(string address, string message, string? timeout)
    {
        await using var ui = await CreateAsync(timeout is null ? null : new Dictionary<string, string?>
        {
            ["Timeout"] = timeout, ["RequestTimeout"] = timeout, ["DnsTimeout"] = timeout,
        });
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);

        await TypeAsync(cut, "Email Address", address);

        cut.WaitForAssertion(() => cut.Find("[data-testid=detection-message]").TextContent.Trim().Should().Match(message), Wait);
        cut.FindAll("[data-testid=proposal]").Should().BeEmpty();
        await TypeAsync(cut, "Display Name", "Still typing");
        await TypeAsync(cut, "IMAP Host", "imap.by-hand.test");
        cut.Input("Display Name").Value().Should().Be("Still typing");
        cut.Input("IMAP Host").Value().Should().Be("imap.by-hand.test");
        dialog.Result.IsCompleted.Should().BeFalse();
        ui.Core.Logs.Entries.Should().NotContain(e => e.StartsWith("Error ", StringComparison.Ordinal), "an expected failure is no error");
    }

    [Fact]
    public async Task Detection_runs_in_the_background_with_a_spinner_that_Cancel_stops()
    {
        await using var ui = await CreateAsync(Patient);
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);

        await TypeAsync(cut, "Email Address", "someone@slow.test");

        cut.WaitForAssertion(() => cut.Find("[data-testid=detection-progress]"), Wait);
        cut.Markup.Should().Contain("Looking up the settings for slow.test…");
        cut.Find("[data-testid=detect-settings]").HasAttribute("disabled").Should().BeTrue();
        // Typing goes on while the lookup hangs.
        await TypeAsync(cut, "Display Name", "Typed meanwhile");
        await TypeAsync(cut, "IMAP Host", "imap.typed.test");
        cut.Input("IMAP Host").Value().Should().Be("imap.typed.test");
        cut.FindAll("[data-testid=detection-progress]").Should().ContainSingle();

        await ClickAsync(cut.Find("[data-testid=cancel-detection]"));

        cut.WaitForAssertion(() => cut.Find("[data-testid=detection-message]").TextContent.Trim().Should()
            .Be("Detection cancelled. Enter the server settings by hand, or click Detect settings to try again."));
        cut.FindAll("[data-testid=detection-progress]").Should().BeEmpty();
        cut.Input("Display Name").Value().Should().Be("Typed meanwhile");
    }

    [Fact]
    public async Task Closing_the_dialog_cancels_a_running_detection()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        world.Web.Serve(AutodetectWorld.IspdbUrl + "closing.test", async context =>
        {
            asked.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                abandoned.TrySetResult();
            }
        });
        await using var ui = await CreateAsync(Patient);
        await ui.AddServerAsync("Production SMTP");
        var dialog = await ui.ShowDialogAsync<EmailAccountDialog>();
        var cut = await WaitForFormAsync(ui);
        await TypeAsync(cut, "Email Address", "someone@closing.test");
        await asked.Task.WaitAsync(Wait);

        await ClickAsync(cut.FindAll(".mud-dialog-actions button").Single(b => b.TextContent.Trim() == "Cancel"));

        (await dialog.Result.WaitAsync(Wait))!.Canceled.Should().BeTrue();
        // The detection's own limits are a minute: only the closed dialog can have stopped the request this soon.
        await abandoned.Task.WaitAsync(Wait);
    }

    [Theory]
    [InlineData("someone@gmail.com", "Gmail / Google Workspace", "imap.gmail.com:993 (TLS on connect)", "Google", "Google")]
    [InlineData("someone@outlook.com", "Microsoft 365 / Outlook.com", "outlook.office365.com:993 (TLS on connect)", "Microsoft 365", "Microsoft")]
    public async Task A_provider_that_needs_OAuth2_not_configured_here_says_so_and_the_sign_in_stays_a_password(
        string address, string provider, string imap, string service, string setting)
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);

        await TypeAsync(cut, "Email Address", address);

        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be($"Built-in settings for {provider}"), Wait);
        cut.Find("[data-testid=proposal-imap]").TextContent.Should().Contain(imap);
        var note = $"{service} needs OAuth2 sign-in; it is not configured on this installation.";
        cut.Find("[data-testid=sign-in-note]").TextContent.Should().Contain(note).And.Contain($"OAuth:Providers:{setting}");
        await ClickAsync(cut.Find("[data-testid=use-settings]"));
        cut.Input("IMAP Username").Value().Should().Be(address);
        cut.Input("IMAP Password").Should().NotBeNull("without the provider the account can only sign in with a password");
        cut.Find("[data-testid=sign-in-note]").TextContent.Should().Contain(note, "the note stays once the settings are used");
    }

    [Theory]
    [InlineData("someone@outlook.com", "Microsoft", "Sign in with Microsoft")]
    [InlineData("someone@gmail.com", "Google", "Sign in with Google")]
    public async Task A_provider_that_needs_OAuth2_and_is_configured_switches_the_sign_in_method_to_it(string address, string provider, string signIn)
    {
        await using var ui = await CreateAsync(oauth: new Dictionary<string, string?>
        {
            [$"OAuth:Providers:{provider}:ClientId"] = "client-id-of-this-installation",
            [$"OAuth:Providers:{provider}:ClientSecret"] = "client-secret-of-this-installation",
        });
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        cut.Input("IMAP Password").Should().NotBeNull("a new account signs in with a password until told otherwise");

        await TypeAsync(cut, "Email Address", address);
        cut.WaitForAssertion(() => cut.Find("[data-testid=sign-in-note]").TextContent.Should()
            .Contain($"needs “{signIn}” (OAuth2) and refuses passwords. Use these settings switches the sign-in method to it."), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.WaitForAssertion(() => cut.Input("Sign-in method").Value().Should().Be($"OAuth2 with {provider}"));
        cut.FindAll("#imap-password").Should().BeEmpty("the sign-in button takes the password's place");
        cut.FindAll(".oauth-sign-in a").Should().ContainSingle().Which.TextContent.Trim().Should().Be(signIn);
        cut.Input("IMAP Username").Value().Should().Be(address);
    }

    [Fact]
    public async Task In_Add_Mail_Server_a_configured_provider_that_the_proposal_needs_becomes_the_sign_in_method()
    {
        await using var ui = await CreateAsync(oauth: new Dictionary<string, string?>
        {
            ["OAuth:Providers:Microsoft:ClientId"] = "client-id-of-this-installation",
            ["OAuth:Providers:Microsoft:ClientSecret"] = "client-secret-of-this-installation",
        });
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("Detect from address").Should().NotBeNull());

        await TypeAsync(cut, "Detect from address", "someone@contoso.onmicrosoft.com");
        cut.WaitForAssertion(() => cut.Find("[data-testid=use-settings]"), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.WaitForAssertion(() => cut.Input("Sign-in method").Value().Should().Be("OAuth2 with Microsoft"));
        cut.Input("SMTP Host").Value().Should().Be("smtp.office365.com");
        cut.FindAll("#smtp-password").Should().BeEmpty();
        cut.FindAll(".oauth-sign-in a").Should().ContainSingle().Which.TextContent.Trim().Should().Be("Sign in with Microsoft");
    }

    [Fact]
    public async Task Plain_HTTP_settings_are_shown_as_unverified()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);

        await TypeAsync(cut, "Email Address", "someone@plainhttp.test");

        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("From plainhttp.test's autoconfig (unverified)"), Wait);
        cut.Find("[data-testid=proposal-notes]").TextContent.Should().Contain("plain HTTP");
    }

    [Fact]
    public async Task With_network_lookups_turned_off_the_presets_still_answer_and_nothing_is_fetched()
    {
        await using var ui = await CreateAsync(new Dictionary<string, string?> { ["Enabled"] = "false" });
        await ui.AddServerAsync("Production SMTP");
        var cut = await OpenAccountDialogAsync(ui);
        cut.Markup.Should().Contain("Fills in the server settings of the big providers from the address (built-in settings).");
        var before = world.RequestsFor("own.test").Count;

        await TypeAsync(cut, "Email Address", "someone@own.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=detection-message]").TextContent.Should().StartWith("No built-in settings for own.test"), Wait);
        world.RequestsFor("own.test").Should().HaveCount(before, "nothing is fetched");

        await TypeAsync(cut, "Email Address", "someone@yahoo.com");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("Built-in settings for Yahoo Mail"), Wait);
    }

    [Fact]
    public async Task Edit_dialogs_offer_no_detection()
    {
        await using var ui = await CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var account = await ui.AddAccountAsync("Support", "support@listed.test", server.Id);

        await ui.ShowDialogAsync<EmailAccountDialog>(new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });
        ui.Providers.WaitForAssertion(() => ui.Providers.Input("Email Address").Value().Should().Be("support@listed.test"));
        ui.Providers.FindAll("[data-testid=detected-settings]").Should().BeEmpty();
    }

    [Fact]
    public async Task Detect_from_address_in_Add_Mail_Server_fills_the_SMTP_fields_not_typed()
    {
        await using var ui = await CreateAsync();
        var dialog = await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("Detect from address").Should().NotBeNull());
        await TypeAsync(cut, "SMTP Username", "relay-user");

        await TypeAsync(cut, "Detect from address", "someone@own.test");
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-source]").TextContent.Trim().Should().Be("From own.test's autoconfig"), Wait);
        cut.Find("[data-testid=proposal-smtp]").TextContent.Should().Contain("smtp.own.test:465 (TLS on connect), username someone@own.test");
        cut.FindAll("[data-testid=proposal-imap]").Should().BeEmpty("a mail server has no IMAP");
        await ClickAsync(cut.Find("[data-testid=use-settings]"));

        cut.Input("Server Name").Value().Should().Be("own.test Mail");
        cut.Input("SMTP Host").Value().Should().Be("smtp.own.test");
        cut.Input("SMTP Port").Value().Should().Be("465");
        cut.Switch("Use TLS/STARTTLS").HasAttribute("checked").Should().BeTrue();
        cut.Input("SMTP Username").Value().Should().Be("relay-user");
        cut.Find("[data-testid=proposal-applied]").TextContent.Should().Contain("Kept what you typed: SMTP Username.");

        await TypeAsync(cut, "SMTP Password", "smtp-secret");
        await ClickAsync(cut.Button("Add Server"));
        var saved = (await dialog.Result.WaitAsync(Wait))!.Data.Should().BeOfType<MailServerSummary>().Subject;
        saved.Should().BeEquivalentTo(new { Name = "own.test Mail", SmtpHost = "smtp.own.test", SmtpPort = 465, SmtpUsername = "relay-user", IsDefault = true });
    }

    [Fact]
    public async Task Add_Mail_Server_says_when_the_tenant_already_has_the_detected_server()
    {
        await using var ui = await CreateAsync();
        await ui.AddServerAsync("Listed SMTP", "smtp.listed.test", 587);
        await ui.ShowDialogAsync<MailServerDialog>();
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("Detect from address").Should().NotBeNull());
        await TypeAsync(cut, "Server Name", "My name");

        await TypeAsync(cut, "Detect from address", "someone@listed.test");

        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-server]").TextContent.Trim().Should()
            .Be("Your mail server Listed SMTP already uses smtp.listed.test:587."), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));
        cut.Input("Server Name").Value().Should().Be("My name");
        cut.Input("SMTP Host").Value().Should().Be("smtp.listed.test");
    }

    private static readonly Dictionary<string, string?> Unhurried = new()
    {
        ["Timeout"] = "00:00:30", ["RequestTimeout"] = "00:00:15", ["DnsTimeout"] = "00:00:15",
    };

    /// <summary>Limits of a minute, so that only Cancel or closing can end a detection of a server that never answers.</summary>
    private static readonly Dictionary<string, string?> Patient = new()
    {
        ["Timeout"] = "00:01:00", ["RequestTimeout"] = "00:01:00", ["DnsTimeout"] = "00:01:00",
    };

    /// <param name="settings">Autodetect settings (world.Settings adds the section).</param>
    /// <param name="oauth">Configuration keys as they are, e.g. "OAuth:Providers:Microsoft:ClientId".</param>
    private Task<BunitCore> CreateAsync(IDictionary<string, string?>? settings = null, IDictionary<string, string?>? oauth = null) => BunitCore.CreateAsync(builder =>
    {
        foreach (var (key, value) in oauth ?? new Dictionary<string, string?>())
        {
            builder.Configuration[key] = value;
        }
        // Limits that a machine busy with the whole suite cannot reach: these tests are about the dialogs, the Core tests
        // hold the detector to its 5 s.
        var values = new Dictionary<string, string?>(Unhurried) { ["Enabled"] = "true" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        foreach (var (key, value) in world.Settings(values))
        {
            builder.Configuration[key] = value;
        }
        world.UseTestHandler(builder.Services);
    });

    /// <summary>
    /// Types into a field and waits until the dialog has taken it. (The sync <c>Change</c> returns at once when the renderer
    /// is busy, for example with the end of a detection, and the value would be read before it arrived.)
    /// </summary>
    private static Task TypeAsync(IRenderedComponent<ContainerFragment> cut, string label, string value) =>
        cut.Input(label).ChangeAsync(new ChangeEventArgs { Value = value });

    private static Task ClickAsync(AngleSharp.Dom.IElement element) => element.ClickAsync(new MouseEventArgs());

    private static async Task<IRenderedComponent<ContainerFragment>> OpenAccountDialogAsync(BunitCore ui)
    {
        await ui.ShowDialogAsync<EmailAccountDialog>();
        return await WaitForFormAsync(ui);
    }

    private static Task<IRenderedComponent<ContainerFragment>> WaitForFormAsync(BunitCore ui)
    {
        var cut = ui.Providers;
        cut.WaitForAssertion(() => cut.Input("IMAP Host").Should().NotBeNull());
        return Task.FromResult(cut);
    }

    /// <summary>Types the address, waits for its proposal and uses it.</summary>
    private static async Task UseProposalAsync(IRenderedComponent<ContainerFragment> cut, string address)
    {
        await TypeAsync(cut, "Email Address", address);
        var domain = address[(address.IndexOf('@') + 1)..];
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal]").TextContent.Should().Contain($"Settings found for {domain}"), Wait);
        await ClickAsync(cut.Find("[data-testid=use-settings]"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=proposal-applied]"));
    }
}
