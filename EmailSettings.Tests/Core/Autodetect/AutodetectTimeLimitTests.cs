using System.Diagnostics;
using EmailSettings.Core.Autodetect;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>The whole detection answers within Autodetect:Timeout (5 s by default), found or not.</summary>
[Collection(AutodetectCollection.Name)]
public sealed class AutodetectTimeLimitTests(AutodetectWorld world)
{
    [Fact]
    public async Task Servers_that_never_answer_end_the_detection_at_five_seconds_with_nothing_found()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // Per-request and DNS limits as long as the whole, so that only the 5 s limit can end this detection.
        await using var services = world.CreateServices(new Dictionary<string, string?> { ["RequestTimeout"] = "00:00:05", ["DnsTimeout"] = "00:00:05" }, clock);
        var detector = services.GetRequiredService<MailSettingsDetector>();

        // slowhosted.test has nothing of its own; its MX leads to slowprovider.test, whose files never come.
        var detection = detector.DetectAsync("a@slowhosted.test");
        await MailSettingsDetectorTests.WaitUntilAsync(() =>
            world.Web.Requests.Any(r => r.StartsWith("https://autoconfig.slowprovider.test/", StringComparison.Ordinal))
            && world.Web.Requests.Contains(AutodetectWorld.IspdbUrl + "slowprovider.test"));
        clock.Advance(TimeSpan.FromSeconds(4.9));
        detection.IsCompleted.Should().BeFalse("the MX host's provider has not answered and 5 s have not passed");

        clock.Advance(TimeSpan.FromSeconds(0.1));
        var result = await detection;

        result.Status.Should().Be(DetectionStatus.TimedOut);
        result.Message.Should().Be("No settings found for slowhosted.test within 5 s. Enter the server settings by hand.");
        result.Settings.Should().BeNull();
        result.Steps.Should().Contain(s => s.Outcome == StepOutcome.TimedOut);
    }

    [Fact]
    public async Task A_source_that_answered_before_the_limit_counts_when_an_earlier_one_never_answers()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new CapturedLogs();
        await using var services = world.CreateServices(new Dictionary<string, string?> { ["RequestTimeout"] = "00:00:05" }, clock, logs);
        var detector = services.GetRequiredService<MailSettingsDetector>();

        var detection = detector.DetectAsync("a@late.test");
        // The ISPDB's answer must have been read, not only requested, before the clock passes the limit.
        await MailSettingsDetectorTests.WaitUntilAsync(() =>
            logs.Entries.Any(e => e.Contains($"lookup {AutodetectWorld.IspdbUrl}late.test answered: Found", StringComparison.Ordinal))
            && world.Web.Requests.Contains("https://autoconfig.late.test/mail/config-v1.1.xml?emailaddress=a%40late.test"));
        detection.IsCompleted.Should().BeFalse("autoconfig.late.test comes first in the order and has not answered");
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = await detection;

        result.Status.Should().Be(DetectionStatus.Found);
        result.Settings!.Source.Kind.Should().Be(SettingsSourceKind.Ispdb);
        result.Settings.Imap!.Host.Should().Be("imap.late.test");
        result.Steps.Should().Contain(s => s.Source == "https://autoconfig.late.test/mail/config-v1.1.xml" && s.Outcome == StepOutcome.TimedOut);
    }

    [Fact]
    public async Task The_caller_cancelling_ends_the_detection_with_an_operation_canceled_exception()
    {
        await using var services = world.CreateServices();
        var detector = services.GetRequiredService<MailSettingsDetector>();
        using var closing = new CancellationTokenSource();

        var detection = detector.DetectAsync("closed@slowhosted.test", closing.Token);
        await MailSettingsDetectorTests.WaitUntilAsync(() => world.Web.Requests.Any(r => r.Contains("closed%40slowhosted.test", StringComparison.Ordinal)));
        await closing.CancelAsync();

        await detection.Invoking(d => d).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task With_the_real_clock_a_short_configured_limit_ends_the_detection()
    {
        await using var services = world.CreateServices(new Dictionary<string, string?>
        {
            ["Timeout"] = "00:00:01",
            ["RequestTimeout"] = "00:00:01",
            ["DnsTimeout"] = "00:00:01",
        });
        var detector = services.GetRequiredService<MailSettingsDetector>();
        var watch = Stopwatch.StartNew();

        var result = await detector.DetectAsync("a@slowhosted.test");

        result.Status.Should().Be(DetectionStatus.TimedOut);
        result.Message.Should().Be("No settings found for slowhosted.test within 1 s. Enter the server settings by hand.");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "the limit ends the detection, not the servers");
    }
}
