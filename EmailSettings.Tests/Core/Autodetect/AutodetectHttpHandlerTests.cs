using System.Net;
using EmailSettings.Core.Autodetect;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>The production handler, as the Portal runs it: system trust, and no connections to private addresses from typed domains.</summary>
[Collection(AutodetectCollection.Name)]
public sealed class AutodetectHttpHandlerTests(AutodetectWorld world)
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("192.0.2.10", true)]
    [InlineData("2001:db8::10", true)]
    public void Only_public_addresses_count_as_public(string address, bool isPublic)
    {
        AutodetectRegistration.IsPublic(IPAddress.Parse(address)).Should().Be(isPublic);
    }

    private static async Task<FetchedFile> FetchWithProductionHandlerAsync(Uri url, bool allowPrivate, bool allowPrivateSetting = false)
    {
        var options = new AutodetectOptions { AllowPrivateNetworks = allowPrivateSetting };
        var services = new ServiceCollection();
        services.AddHttpClient(AutodetectRegistration.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => AutodetectRegistration.CreateHandler(options));
        await using var provider = services.BuildServiceProvider();
        var fetcher = new AutoconfigFetcher(provider.GetRequiredService<IHttpClientFactory>(), options, TimeProvider.System);
        return await fetcher.FetchAsync(url, allowPrivate, CancellationToken.None);
    }

    [Fact]
    public async Task A_domain_derived_url_on_loopback_is_not_contacted()
    {
        var before = world.Web.Requests.Count;

        var file = await FetchWithProductionHandlerAsync(new Uri($"http://127.0.0.1:{world.Web.HttpPort}/mail/config-v1.1.xml"), allowPrivate: false);

        file.Outcome.Should().Be(StepOutcome.Failed);
        file.Reason.Should().Be("127.0.0.1 resolves only to loopback or private network addresses, which are not contacted (Autodetect:AllowPrivateNetworks)");
        world.Web.Requests.Count.Should().Be(before);
    }

    [Fact]
    public async Task The_operators_ispdb_url_or_the_setting_may_point_at_a_private_address()
    {
        var url = new Uri($"http://127.0.0.1:{world.Web.HttpPort}/nothing-here");

        (await FetchWithProductionHandlerAsync(url, allowPrivate: true)).Outcome.Should().Be(StepOutcome.NotFound);
        (await FetchWithProductionHandlerAsync(url, allowPrivate: false, allowPrivateSetting: true)).Outcome.Should().Be(StepOutcome.NotFound);
    }

    [Fact]
    public async Task The_production_handler_trusts_only_the_systems_certificate_authorities()
    {
        var file = await FetchWithProductionHandlerAsync(new Uri($"https://127.0.0.1:{world.Web.HttpsPort}/mail/config-v1.1.xml"), allowPrivate: true);

        file.Outcome.Should().Be(StepOutcome.Failed);
        file.Reason.Should().Be("its TLS certificate is not valid for this name or not trusted");
    }
}
