using System.Net;
using System.Net.Sockets;
using EmailSettings.Core.Autodetect;

namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>Invalid addresses, hostile and broken servers, failing DNS: each ends in a clear message, never an exception.</summary>
[Collection(AutodetectCollection.Name)]
public sealed class AutodetectBadInputTests(AutodetectWorld world)
{
    private Task<MailSettingsDetection> DetectAsync(string address, IDictionary<string, string?>? settings = null) =>
        world.DetectAsync(address, settings);

    [Theory]
    [InlineData("", "Email Address is required.")]
    [InlineData("   ", "Email Address is required.")]
    [InlineData("no-at-sign.example.com", "Enter a valid email address, such as support@example.com.")]
    [InlineData("two@@example.com", "Enter a valid email address, such as support@example.com.")]
    [InlineData("user@localhost", "Enter a valid email address, such as support@example.com.")]
    [InlineData("user@exa mple.com", "Enter a valid email address, such as support@example.com.")]
    [InlineData("user@<script>.com", "Enter a valid email address, such as support@example.com.")]
    public async Task An_invalid_address_is_refused_with_the_address_fields_message_and_nothing_is_looked_up(string address, string message)
    {
        var questions = world.Dns.Questions.Count;

        var result = await DetectAsync(address);

        result.Status.Should().Be(DetectionStatus.InvalidAddress);
        result.Message.Should().Be(message);
        result.Steps.Should().BeEmpty();
        world.Dns.Questions.Count.Should().Be(questions);
    }

    [Fact]
    public async Task An_international_domain_is_looked_up_in_its_ascii_form()
    {
        var result = await DetectAsync("jürgen@bücher.test");

        result.Status.Should().Be(DetectionStatus.NotFound);
        world.Dns.Questions.Should().Contain("MX xn--bcher-kva.test");
        world.Web.Requests.Should().Contain(AutodetectWorld.IspdbUrl + "xn--bcher-kva.test");
    }

    [Theory]
    [InlineData("huge.test", "autoconfig.huge.test: the file is larger than 128 KB; ignored.")]
    [InlineData("declared-huge.test", "autoconfig.declared-huge.test: the file is larger than 128 KB; ignored.")]
    [InlineData("malformed.test", "autoconfig.malformed.test: the file is not well-formed XML (line 1, position *).")]
    [InlineData("loop.test", "autoconfig.loop.test: redirects in a loop (autoconfig.loop.test/mail/config-v1.1.xml → autoconfig.loop.test/next → autoconfig.loop.test/mail/config-v1.1.xml → autoconfig.loop.test/next); stopped.")]
    [InlineData("chain.test", "autoconfig.chain.test: redirected more than 3 times; stopped.")]
    [InlineData("script.test", "autoconfig.script.test: the file contains a <script> element, so it is not a mail configuration; ignored.")]
    [InlineData("html.test", "autoconfig.html.test: the file is not a mail configuration (its root element is <html>, not <clientConfig>).")]
    [InlineData("dtd.test", "autoconfig.dtd.test: the file contains a DTD (<!DOCTYPE>), which is not allowed.")]
    [InlineData("untrusted.test", "autoconfig.untrusted.test: its TLS certificate is not valid for this name or not trusted.")]
    public async Task A_hostile_or_broken_autoconfig_server_gives_a_clear_message_and_no_settings(string domain, string message)
    {
        var result = await DetectAsync($"victim@{domain}");

        result.Status.Should().Be(DetectionStatus.NotFound);
        result.Settings.Should().BeNull();
        var step = result.Steps.Single(s => s.Source == $"https://autoconfig.{domain}/mail/config-v1.1.xml");
        step.Outcome.Should().Be(StepOutcome.Failed);
        step.Message.Should().Match(message);
        result.Message.Should().Match($"No settings found for {domain}. {message} Enter the server settings by hand.");
        result.Problems.Should().ContainSingle().Which.Should().Match(message);
    }

    [Fact]
    public async Task A_huge_file_is_not_read_past_the_size_limit()
    {
        var result = await DetectAsync("victim@huge.test", new Dictionary<string, string?> { ["MaxFileBytes"] = "2048" });

        result.Steps.Should().Contain(s => s.Message == "autoconfig.huge.test: the file is larger than 2 KB; ignored.");
    }

    [Fact]
    public async Task A_server_failure_at_dns_is_reported_for_mx_and_srv()
    {
        var result = await DetectAsync("a@servfail.test");

        result.Status.Should().Be(DetectionStatus.NotFound);
        result.Steps.Single(s => s.Kind == DetectionStepKind.MxLookup).Should().BeEquivalentTo(new
        {
            Outcome = StepOutcome.Failed,
            Message = $"MX records of servfail.test: the DNS server {world.Dns.EndPoint} answered Server Failure.",
        });
        result.Steps.Single(s => s.Kind == DetectionStepKind.DnsSrv).Outcome.Should().Be(StepOutcome.Failed);
        result.Message.Should().Contain("Server Failure");
    }

    [Fact]
    public async Task A_dns_server_that_never_answers_times_out_with_a_message()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)silent.Client.LocalEndPoint!;

        var result = await DetectAsync("a@nothing.test", new Dictionary<string, string?>
        {
            ["DnsServer"] = endPoint.ToString(),
            ["DnsTimeout"] = "00:00:00.500",
        });

        result.Status.Should().Be(DetectionStatus.NotFound);
        result.Steps.Single(s => s.Kind == DetectionStepKind.MxLookup).Should().BeEquivalentTo(new
        {
            Outcome = StepOutcome.TimedOut,
            Message = $"MX records of nothing.test: the DNS server {endPoint} did not answer within 500 ms.",
        });
    }

    [Fact]
    public async Task A_slow_autoconfig_server_costs_only_its_own_time_limit()
    {
        var result = await DetectAsync("a@slow.test", new Dictionary<string, string?> { ["RequestTimeout"] = "00:00:00.300" });

        result.Status.Should().Be(DetectionStatus.NotFound);
        result.Steps.Where(s => s.Kind is DetectionStepKind.DomainAutoconfig or DetectionStepKind.Ispdb).Should().HaveCount(5)
            .And.OnlyContain(s => s.Outcome == StepOutcome.TimedOut && s.Message.EndsWith("no answer within 300 ms.", StringComparison.Ordinal));
        result.Message.Should().Be("No settings found for slow.test. autoconfig.slow.test: no answer within 300 ms. Enter the server settings by hand.");
        result.Problems.Should().HaveCount(5);
    }
}
