using EmailSettings.Core.Autodetect;

namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>The config-v1.1.xml reader on its own: what it takes from a file and what it refuses.</summary>
public sealed class AutoconfigXmlTests
{
    private const int Limit = 128 * 1024;

    [Fact]
    public void Imap_and_smtp_servers_are_read_in_file_order_and_pop3_is_noticed()
    {
        var xml = AutoconfigSamples.Config("example.test", ("imap.example.test", 993, "SSL", "%EMAILLOCALPART%"), ("smtp.example.test", 587, "STARTTLS", "%EMAILADDRESS%"), "OAuth2");

        var (config, error) = AutoconfigXml.Parse(xml, Limit);

        error.Should().BeNull();
        config!.ProviderName.Should().Be("example.test Mail");
        config.OffersPop3.Should().BeTrue();
        config.Imap.Should().ContainSingle().Which.Should().BeEquivalentTo(new
        {
            Host = "imap.example.test", Port = 993, SocketType = MailSocketType.Ssl, Username = "%EMAILLOCALPART%",
            Authentication = new[] { AuthMethod.OAuth2 },
        });
        config.Smtp.Should().ContainSingle().Which.SocketType.Should().Be(MailSocketType.StartTls);
    }

    [Theory]
    [InlineData("<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>h.test</hostname><port>99999</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>")]
    [InlineData("<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>h.test</hostname><port>993</port><socketType>TLS1.3</socketType></incomingServer></emailProvider></clientConfig>")]
    [InlineData("<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname><b>h.test</b></hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>")]
    [InlineData("<clientConfig><emailProvider><incomingServer type=\"imap\"><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>")]
    public void A_server_with_a_bad_port_socket_type_or_host_is_left_out(string xml)
    {
        var (config, error) = AutoconfigXml.Parse(xml, Limit);

        error.Should().BeNull();
        config!.Imap.Should().BeEmpty();
    }

    [Theory]
    [InlineData("password-cleartext", "Password")]
    [InlineData("password-encrypted", "Password")]
    [InlineData("OAuth2", "OAuth2")]
    [InlineData("client-IP-address", "None")]
    [InlineData("GSSAPI", "Unsupported")]
    [InlineData("TLS-client-cert", "Unsupported")]
    public void Authentication_values_are_grouped_into_what_the_portal_can_sign_in_with(string value, string expected)
    {
        var xml = $"<clientConfig><emailProvider><outgoingServer type=\"smtp\"><hostname>s.test</hostname><port>587</port><socketType>STARTTLS</socketType><authentication>{value}</authentication></outgoingServer></emailProvider></clientConfig>";

        AutoconfigXml.Parse(xml, Limit).Config!.Smtp.Single().Authentication.Select(a => a.ToString()).Should().Equal(expected);
    }

    [Fact]
    public void An_external_entity_is_refused_and_never_resolved()
    {
        var xml = """<?xml version="1.0"?><!DOCTYPE clientConfig [<!ENTITY x SYSTEM "file:///etc/passwd">]><clientConfig><emailProvider><displayName>&x;</displayName></emailProvider></clientConfig>""";

        var (config, error) = AutoconfigXml.Parse(xml, Limit);

        config.Should().BeNull();
        error.Should().Be("the file contains a DTD (<!DOCTYPE>), which is not allowed");
    }

    [Fact]
    public void A_document_over_the_character_limit_is_refused()
    {
        var xml = $"<clientConfig><emailProvider><displayName>{new string('x', 5000)}</displayName></emailProvider></clientConfig>";

        AutoconfigXml.Parse(xml, 2048).Error.Should().Be("the file is larger than 2 KB");
    }

    [Fact]
    public void A_file_without_email_provider_says_so()
    {
        AutoconfigXml.Parse("<clientConfig version=\"1.1\"/>", Limit).Error.Should().Be("the file has no <emailProvider> element");
    }
}
