using EmailSettings.Core.Autodetect;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Autodetect;

[Collection(AutodetectCollection.Name)]
public sealed class ProviderPresetsTests(AutodetectWorld world)
{
    [Theory]
    [InlineData("a@outlook.com", "outlook.office365.com", 993, "smtp.office365.com", 587, "a@outlook.com", true)]
    [InlineData("a@hotmail.co.uk", "outlook.office365.com", 993, "smtp.office365.com", 587, "a@hotmail.co.uk", true)]
    [InlineData("a@contoso.onmicrosoft.com", "outlook.office365.com", 993, "smtp.office365.com", 587, "a@contoso.onmicrosoft.com", true)]
    [InlineData("a@googlemail.com", "imap.gmail.com", 993, "smtp.gmail.com", 465, "a@googlemail.com", true)]
    [InlineData("a@yahoo.com", "imap.mail.yahoo.com", 993, "smtp.mail.yahoo.com", 465, "a@yahoo.com", false)]
    [InlineData("a@me.com", "imap.mail.me.com", 993, "smtp.mail.me.com", 587, "a", false)]
    [InlineData("a@fastmail.com", "imap.fastmail.com", 993, "smtp.fastmail.com", 465, "a@fastmail.com", false)]
    [InlineData("a@zohomail.com", "imap.zoho.com", 993, "smtp.zoho.com", 465, "a@zohomail.com", false)]
    [InlineData("a@zohomail.eu", "imap.zoho.eu", 993, "smtp.zoho.eu", 465, "a@zohomail.eu", false)]
    public async Task Each_provider_preset_maps_onto_the_dialog_fields(
        string address, string imapHost, int imapPort, string smtpHost, int smtpPort, string imapUsername, bool oauth2Required)
    {
        await using var services = world.CreateServices();

        var result = await services.GetRequiredService<MailSettingsDetector>().DetectAsync(address);

        result.Settings!.Imap.Should().BeEquivalentTo(new { Host = imapHost, Port = imapPort, UseTls = true, Username = imapUsername });
        result.Settings.Smtp.Should().BeEquivalentTo(new { Host = smtpHost, Port = smtpPort, UseTls = true, Username = address });
        result.Settings.OAuth2Required.Should().Be(oauth2Required);
        result.Settings.Notes.Should().NotBeEmpty("each preset says how its users sign in");
    }

    [Theory]
    [InlineData("mx1.hotmail.com", "Microsoft 365 / Outlook.com")]
    [InlineData("contoso-com.mail.protection.outlook.com", "Microsoft 365 / Outlook.com")]
    [InlineData("aspmx.l.google.com", "Gmail / Google Workspace")]
    [InlineData("mta5.am0.yahoodns.net", "Yahoo Mail")]
    [InlineData("mx01.mail.icloud.com", "iCloud Mail")]
    [InlineData("in1-smtp.messagingengine.com", "Fastmail")]
    [InlineData("mx.zoho.com", "Zoho Mail (organization)")]
    [InlineData("mx.zoho.eu", "Zoho Mail (EU organization)")]
    public void A_providers_mx_host_leads_to_its_preset_through_the_registrable_domain(string mxHost, string preset)
    {
        ProviderPresets.ForMxDomain(RegistrableDomain.Of(mxHost))!.Name.Should().Be(preset);
    }

    [Theory]
    [InlineData("aspmx.l.google.com", "google.com")]
    [InlineData("mx.example.co.uk", "example.co.uk")]
    [InlineData("example.com.", "example.com")]
    [InlineData("localhost", "localhost")]
    public void The_registrable_domain_keeps_two_labels_or_three_under_a_two_label_suffix(string host, string expected)
    {
        RegistrableDomain.Of(host).Should().Be(expected);
    }

    [Fact]
    public void Every_preset_uses_ports_and_tls_modes_the_dialogs_can_express()
    {
        foreach (var preset in ProviderPresets.All)
        {
            var config = SettingsMapper.ToConfig(preset);
            var (settings, error) = SettingsMapper.Map(new MailAddressParts("a@x.test", "a", "x.test"), config,
                new SettingsSource(SettingsSourceKind.BuiltInPreset, preset.Name, true, "x.test"));
            error.Should().BeNull(preset.Name);
            settings!.Imap.Should().NotBeNull(preset.Name);
            settings.Smtp.Should().NotBeNull(preset.Name);
            settings.Notes.Should().BeEmpty($"{preset.Name} has nothing the dialogs would skip");
        }
    }
}
