using System.Net;
using EmailSettings.Core.Autodetect;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EmailSettings.Tests.Core.Autodetect;

public sealed class AutodetectOptionsTests
{
    [Fact]
    public async Task The_core_registers_the_detector_with_the_documented_defaults()
    {
        await using var host = await CoreTestHost.CreateAsync();

        var options = host.Services.GetRequiredService<IOptions<AutodetectOptions>>().Value;

        host.Services.GetRequiredService<MailSettingsDetector>().NetworkLookupsEnabled.Should().BeTrue();
        options.Should().BeEquivalentTo(new
        {
            Enabled = true,
            IspdbUrl = "https://autoconfig.thunderbird.net/v1.1/",
            DnsServer = (string?)null,
            Timeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(3),
            DnsTimeout = TimeSpan.FromSeconds(2),
            MaxFileBytes = 131072,
            MaxRedirects = 3,
            AllowPrivateNetworks = false,
        });
    }

    [Theory]
    [InlineData("IspdbUrl", "ftp://mirror.example/ispdb/", "*Autodetect:IspdbUrl*")]
    [InlineData("IspdbUrl", "not a url", "*Autodetect:IspdbUrl*")]
    [InlineData("DnsServer", "dns.example.com", "*Autodetect:DnsServer*")]
    [InlineData("Timeout", "00:05:00", "*Autodetect:Timeout*")]
    [InlineData("RequestTimeout", "00:00:30", "*Autodetect:RequestTimeout*")]
    [InlineData("MaxFileBytes", "10", "*Autodetect:MaxFileBytes*")]
    public async Task A_bad_setting_fails_at_start_with_a_message_that_says_what_to_set(string key, string value, string message)
    {
        await using var host = await CoreTestHost.CreateAsync(b => b.Configuration[$"Autodetect:{key}"] = value);

        var act = () => host.Services.GetRequiredService<IOptions<AutodetectOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().WithMessage(message);
    }

    [Theory]
    [InlineData("192.0.2.53", "192.0.2.53:53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("[2001:db8::53]:53", "[2001:db8::53]:53")]
    [InlineData("2001:db8::53", "[2001:db8::53]:53")]
    public void A_dns_server_is_an_ip_address_with_an_optional_port(string value, string endPoint)
    {
        new AutodetectOptions { DnsServer = value }.DnsEndPoint.Should().Be(IPEndPoint.Parse(endPoint));
    }
}
