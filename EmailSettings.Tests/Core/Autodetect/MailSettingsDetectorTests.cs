using EmailSettings.Core.Autodetect;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>Each lookup step against the loopback world, and Thunderbird's order between them.</summary>
[Collection(AutodetectCollection.Name)]
public sealed class MailSettingsDetectorTests(AutodetectWorld world)
{
    private Task<MailSettingsDetection> DetectAsync(string address, IDictionary<string, string?>? settings = null) =>
        world.DetectAsync(address, settings);

    [Fact]
    public async Task A_preset_domain_is_answered_from_the_built_in_settings_without_any_network_lookup()
    {
        var dnsBefore = world.Dns.Questions.Count;
        var webBefore = world.Web.Requests.Count;

        var result = await DetectAsync("jane.doe@gmail.com");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("Built-in settings for Gmail / Google Workspace");
        var settings = result.Settings!;
        settings.Source.Kind.Should().Be(SettingsSourceKind.BuiltInPreset);
        settings.Source.Verified.Should().BeTrue();
        settings.Imap.Should().Be(new ProposedImapSettings("imap.gmail.com", 993, true, "jane.doe@gmail.com", ServerAuthentication.OAuth2, OAuth2Provider.Google));
        settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.gmail.com", 465, true, "jane.doe@gmail.com", ServerAuthentication.OAuth2, OAuth2Provider.Google));
        settings.OAuth2Required.Should().BeTrue();
        settings.OAuth2Provider.Should().Be(OAuth2Provider.Google);
        settings.Imap!.Security.Should().Be(SecureSocketOptions.SslOnConnect);
        settings.Smtp!.Security.Should().Be(SecureSocketOptions.SslOnConnect);
        world.Dns.Questions.Count.Should().Be(dnsBefore);
        world.Web.Requests.Count.Should().Be(webBefore);
    }

    [Fact]
    public async Task The_domains_own_autoconfig_wins_over_the_ispdb_the_mx_host_and_srv_records()
    {
        var result = await DetectAsync("sales@own.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("From own.test's autoconfig");
        var settings = result.Settings!;
        settings.Source.Should().BeEquivalentTo(new
        {
            Kind = SettingsSourceKind.DomainAutoconfig,
            Verified = true,
            LookupDomain = "own.test",
            Url = new Uri("https://autoconfig.own.test/mail/config-v1.1.xml?emailaddress=sales%40own.test"),
        });
        settings.ProviderName.Should().Be("own.test Mail");
        settings.Imap.Should().Be(new ProposedImapSettings("imap.own.test", 993, true, "sales@own.test", ServerAuthentication.Password, null));
        settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.own.test", 465, true, "sales@own.test", ServerAuthentication.Password, null));
        settings.OAuth2Required.Should().BeFalse();
        result.Steps.Select(s => (s.Kind, s.Outcome)).Should().StartWith(
        [
            (DetectionStepKind.BuiltInPreset, StepOutcome.NotFound),
            (DetectionStepKind.DomainAutoconfig, StepOutcome.Found),
        ]);
        result.Steps.Skip(2).Should().OnlyContain(s => s.Outcome == StepOutcome.Skipped);
        world.Web.Requests.Should().Contain("https://autoconfig.own.test/mail/config-v1.1.xml?emailaddress=sales%40own.test",
            "the address is passed to the domain's autoconfig as Thunderbird does");
    }

    [Fact]
    public async Task The_well_known_file_is_used_and_its_placeholders_fill_in_host_and_local_part_username()
    {
        var result = await DetectAsync("Max.Mustermann@WellKnown.test");

        result.Settings!.Source.Should().BeEquivalentTo(new { Kind = SettingsSourceKind.DomainAutoconfig, Verified = true, Description = "From wellknown.test's autoconfig" });
        result.Settings.Imap.Should().Be(new ProposedImapSettings("mail.wellknown.test", 143, true, "Max.Mustermann", ServerAuthentication.Password, null));
        result.Settings.Imap!.Security.Should().Be(SecureSocketOptions.StartTls);
        result.Settings.Smtp.Should().Be(new ProposedSmtpSettings("mail.wellknown.test", 587, true, "Max.Mustermann", ServerAuthentication.Password, null));
        result.Steps.Should().Contain(s => s.Source == "https://autoconfig.wellknown.test/mail/config-v1.1.xml" && s.Outcome == StepOutcome.NotFound
            && s.Message == "autoconfig.wellknown.test: no file there (HTTP 404).");
    }

    [Fact]
    public async Task A_file_over_plain_http_is_used_but_flagged_unverified()
    {
        var result = await DetectAsync("a@plainhttp.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Settings!.Source.Verified.Should().BeFalse();
        result.Message.Should().Be("From plainhttp.test's autoconfig (unverified)");
        result.Settings.Imap!.Host.Should().Be("imap.plainhttp.test");
        result.Settings.Notes.Should().Contain(n => n.Contains("plain HTTP", StringComparison.Ordinal));
        result.Steps.Should().Contain(s => s.Source == "https://autoconfig.plainhttp.test/mail/config-v1.1.xml" && s.Outcome == StepOutcome.NotFound);
    }

    [Fact]
    public async Task The_ispdb_answers_when_the_domain_has_no_autoconfig_and_wins_over_mx_and_srv()
    {
        var result = await DetectAsync("info@listed.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("Found in the Thunderbird database", string.Join("\n", result.Steps));
        result.Settings!.Source.Should().BeEquivalentTo(new { Kind = SettingsSourceKind.Ispdb, Verified = true, Url = new Uri(AutodetectWorld.IspdbUrl + "listed.test") });
        result.Settings.Imap!.Host.Should().Be("imap.listed.test");
        result.Settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.listed.test", 587, true, "info@listed.test", ServerAuthentication.Password, null));
        result.Steps.Where(s => s.Kind == DetectionStepKind.DomainAutoconfig).Should().HaveCount(4).And.OnlyContain(s => s.Outcome == StepOutcome.NotFound);
        result.Steps.Single(s => s.Kind == DetectionStepKind.Ispdb).Outcome.Should().Be(StepOutcome.Found);
    }

    [Fact]
    public async Task A_later_source_that_answers_first_still_loses_to_an_earlier_one_in_the_order()
    {
        await using var services = world.CreateServices();
        var detection = services.GetRequiredService<MailSettingsDetector>().DetectAsync("x@race.test");
        await WaitUntilAsync(() => world.Web.Requests.Contains(AutodetectWorld.IspdbUrl + "race.test")
            && world.Web.Requests.Any(r => r.StartsWith("https://autoconfig.race.test/", StringComparison.Ordinal)));

        detection.IsCompleted.Should().BeFalse("the domain's autoconfig has not answered yet, and it comes before the ISPDB");
        world.RaceGate.TrySetResult();
        var result = await detection;

        result.Settings!.Source.Kind.Should().Be(SettingsSourceKind.DomainAutoconfig);
        result.Settings.Imap!.Host.Should().Be("imap.race.test");
    }

    [Fact]
    public async Task A_custom_domain_whose_mx_is_google_gets_the_gmail_preset_before_srv_records()
    {
        var result = await DetectAsync("team@gworkspace.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("Built-in settings for Gmail / Google Workspace (mail for gworkspace.test is handled by aspmx.l.google.com)");
        result.Settings!.Source.Should().BeEquivalentTo(new { Kind = SettingsSourceKind.BuiltInPreset, Verified = true, LookupDomain = "google.com", MxHost = "aspmx.l.google.com" });
        result.Settings.Imap!.Username.Should().Be("team@gworkspace.test");
        result.Settings.OAuth2Required.Should().BeTrue();
        result.Settings.OAuth2Provider.Should().Be(OAuth2Provider.Google);
        result.Steps.Should().Contain(s => s.Kind == DetectionStepKind.MxLookup && s.Outcome == StepOutcome.Found);
        result.Steps.Single(s => s.Kind == DetectionStepKind.DnsSrv).Outcome.Should().Be(StepOutcome.Skipped);
    }

    [Fact]
    public async Task A_custom_domain_on_microsoft_365_is_recognised_from_its_mx_host()
    {
        var result = await DetectAsync("it@m365.test");

        result.Settings!.ProviderName.Should().Be("Microsoft 365 / Outlook.com");
        result.Settings.Imap.Should().Be(new ProposedImapSettings("outlook.office365.com", 993, true, "it@m365.test", ServerAuthentication.OAuth2, OAuth2Provider.Microsoft));
        result.Settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.office365.com", 587, true, "it@m365.test", ServerAuthentication.OAuth2, OAuth2Provider.Microsoft));
        result.Settings.Smtp!.Security.Should().Be(SecureSocketOptions.StartTls);
        result.Settings.Source.LookupDomain.Should().Be("outlook.com");
    }

    [Fact]
    public async Task The_ispdb_entry_of_the_mx_hosts_registrable_domain_is_found()
    {
        var result = await DetectAsync("me@hosted.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("Found in the Thunderbird database under mailhost.test (mail for hosted.test is handled by mx1.eu.mailhost.test)");
        result.Settings!.Source.Should().BeEquivalentTo(new { Kind = SettingsSourceKind.Ispdb, LookupDomain = "mailhost.test", MxHost = "mx1.eu.mailhost.test", Verified = true });
        result.Settings.Imap!.Host.Should().Be("imap.mailhost.test");
        result.Settings.Imap.Username.Should().Be("me@hosted.test", "placeholders stand for the user's address, not the MX domain");
    }

    [Fact]
    public async Task The_autoconfig_of_the_mx_hosts_domain_is_found()
    {
        var result = await DetectAsync("me@hosted2.test");

        result.Message.Should().Be("From provider2.test's autoconfig (mail for hosted2.test is handled by mx.provider2.test)");
        result.Settings!.Smtp!.Host.Should().Be("smtp.provider2.test");
        world.Web.Requests.Should().Contain("https://autoconfig.provider2.test/mail/config-v1.1.xml?emailaddress=me%40hosted2.test");
    }

    [Fact]
    public async Task An_mx_host_in_the_domain_itself_or_a_null_mx_leads_to_nothing_more()
    {
        var self = await DetectAsync("a@selfhosted.test");
        var none = await DetectAsync("a@nullmx.test");

        self.Status.Should().Be(DetectionStatus.NotFound);
        self.Steps.Single(s => s.Kind == DetectionStepKind.MxLookup).Message.Should().Be("Mail for selfhosted.test is handled by mx.selfhosted.test, in its own domain: nothing more to look up.");
        none.Steps.Single(s => s.Kind == DetectionStepKind.MxLookup).Message.Should().Be("nullmx.test has a null MX record: it receives no email.");
    }

    [Fact]
    public async Task Srv_records_give_unverified_settings_chosen_by_priority_then_implicit_tls_then_weight()
    {
        var result = await DetectAsync("ops@srv.test");

        result.Status.Should().Be(DetectionStatus.Found);
        result.Message.Should().Be("From srv.test's DNS (SRV) records (unverified)");
        result.Settings!.Source.Should().BeEquivalentTo(new { Kind = SettingsSourceKind.DnsSrv, Verified = false });
        result.Settings.Imap.Should().Be(new ProposedImapSettings("imap-c.srv.test", 993, true, "ops@srv.test", ServerAuthentication.Password, null));
        result.Settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.srv.test", 465, true, "ops@srv.test", ServerAuthentication.Password, null),
            "_submissions and _submission have the same priority, and RFC 8314 prefers implicit TLS");
        result.Settings.Notes.Should().Contain(n => n.Contains("not verified", StringComparison.Ordinal));
        world.Dns.Questions.Should().Contain(["SRV _submissions._tcp.srv.test", "SRV _submission._tcp.srv.test", "SRV _imaps._tcp.srv.test", "SRV _imap._tcp.srv.test"]);
    }

    [Fact]
    public async Task A_dot_target_means_the_service_is_not_offered()
    {
        var partly = await DetectAsync("a@srv-none.test");
        var none = await DetectAsync("a@srv-dot.test");

        partly.Settings!.Imap.Should().BeNull();
        partly.Settings.Smtp.Should().Be(new ProposedSmtpSettings("mail.srv-none.test", 587, true, "a@srv-none.test", ServerAuthentication.Password, null));
        partly.Settings.Notes.Should().Contain("srv-none.test says in DNS that it offers no IMAP service.");
        none.Status.Should().Be(DetectionStatus.NotFound);
        none.Steps.Single(s => s.Kind == DetectionStepKind.DnsSrv).Outcome.Should().Be(StepOutcome.NotFound);
    }

    [Fact]
    public async Task An_srv_record_the_tls_toggle_cannot_express_is_passed_over()
    {
        var result = await DetectAsync("a@srv-odd.test");

        result.Settings!.Imap.Should().Be(new ProposedImapSettings("imap.srv-odd.test", 143, true, "a@srv-odd.test", ServerAuthentication.Password, null));
        result.Settings.Notes.Should().Contain(n => n.Contains("9993", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Servers_the_dialogs_cannot_express_are_skipped_and_plain_smtp_comes_with_a_warning()
    {
        var result = await DetectAsync("bob@oddports.test");

        result.Settings!.Imap.Should().Be(new ProposedImapSettings("imap2.oddports.test", 143, true, "bob", ServerAuthentication.Password, null));
        result.Settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.oddports.test", 25, false, "bob@oddports.test", ServerAuthentication.Password, null));
        result.Settings.Smtp!.Security.Should().Be(SecureSocketOptions.None);
        result.Settings.Notes.Should().Contain(n => n.Contains("1993", StringComparison.Ordinal))
            .And.Contain(n => n.Contains("465 with STARTTLS", StringComparison.Ordinal))
            .And.Contain(n => n.Contains("without encryption", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_oauth2_only_file_says_oauth2_is_required_and_which_provider_signs_in()
    {
        var result = await DetectAsync("a@oauth.test");

        result.Settings!.OAuth2Required.Should().BeTrue();
        result.Settings.OAuth2Provider.Should().Be(OAuth2Provider.Microsoft);
        result.Settings.Imap!.Authentication.Should().Be(ServerAuthentication.OAuth2);
    }

    [Fact]
    public async Task A_pop3_only_provider_offers_smtp_and_says_that_incoming_mail_cannot_sync()
    {
        var result = await DetectAsync("a@pop.test");

        result.Settings!.Imap.Should().BeNull();
        result.Settings.Smtp!.Host.Should().Be("smtp.pop.test");
        result.Settings.Notes.Should().Contain("No IMAP server is offered (only POP3): incoming email cannot be synced.");
    }

    [Fact]
    public async Task A_domain_with_nothing_anywhere_says_so_after_asking_every_source()
    {
        var result = await DetectAsync("who@nothing.test");

        result.Status.Should().Be(DetectionStatus.NotFound);
        result.Message.Should().Be("No settings found for nothing.test. Enter the server settings by hand.");
        result.Settings.Should().BeNull();
        result.Steps.Select(s => s.Kind).Should().Equal(
            DetectionStepKind.BuiltInPreset,
            DetectionStepKind.DomainAutoconfig, DetectionStepKind.DomainAutoconfig, DetectionStepKind.DomainAutoconfig, DetectionStepKind.DomainAutoconfig,
            DetectionStepKind.Ispdb, DetectionStepKind.MxLookup, DetectionStepKind.DnsSrv);
        result.Steps.Should().OnlyContain(s => s.Outcome == StepOutcome.NotFound);
        result.Steps[1].Message.Should().Be("autoconfig.nothing.test: no such host.");
        result.Steps[5].Message.Should().Be("The Thunderbird database: no entry for nothing.test.");
    }

    [Fact]
    public async Task With_detection_turned_off_only_presets_answer_and_nothing_is_looked_up()
    {
        var off = new Dictionary<string, string?> { ["Enabled"] = "false" };
        var dnsBefore = world.Dns.Questions.Count;

        var preset = await DetectAsync("a@icloud.com", off);
        var other = await DetectAsync("a@own.test", off);

        preset.Settings!.Imap.Should().Be(new ProposedImapSettings("imap.mail.me.com", 993, true, "a", ServerAuthentication.Password, null));
        preset.Settings.Smtp.Should().Be(new ProposedSmtpSettings("smtp.mail.me.com", 587, true, "a@icloud.com", ServerAuthentication.Password, null));
        other.Status.Should().Be(DetectionStatus.NotFound);
        other.Message.Should().Contain("Autodetect:Enabled");
        world.Dns.Questions.Count.Should().Be(dnsBefore);
        world.RequestsFor("own.test").Should().NotContain(r => r.Contains("a%40own.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_proposal_fills_the_dialog_inputs_it_maps_to()
    {
        var result = await DetectAsync("sales@own.test");
        var account = new EmailAccountInput { EmailAddress = "sales@own.test", ImapPassword = "typed" };
        var server = new MailServerInput { Name = "Own", SmtpPassword = "typed" };

        result.Settings!.Imap!.ApplyTo(account);
        result.Settings.Smtp!.ApplyTo(server);

        account.Should().BeEquivalentTo(new { ImapHost = "imap.own.test", ImapPort = 993, ImapUseTls = true, ImapUsername = "sales@own.test", ImapPassword = "typed" });
        server.Should().BeEquivalentTo(new { Name = "Own", SmtpHost = "smtp.own.test", SmtpPort = 465, UseTls = true, SmtpUsername = "sales@own.test", SmtpPassword = "typed" });
        result.Settings.Smtp.Summary.Should().Be("smtp.own.test:465 (TLS on connect)");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
