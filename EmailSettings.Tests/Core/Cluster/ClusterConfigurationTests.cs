using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace EmailSettings.Tests.Core.Cluster;

/// <summary>The "Cluster" settings: defaults, and one clear start-up error naming the key of a wrong one.</summary>
public sealed class ClusterConfigurationTests
{
    private static ClusterOptions Read(params (string Key, string? Value)[] settings) =>
        ClusterOptions.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Without_settings_a_node_is_named_after_its_machine_and_checks_in_every_10_seconds()
    {
        var options = Read();

        options.NodeName.Should().NotBeNullOrEmpty().And.MatchRegex("^[A-Za-z0-9._-]+$");
        options.CheckinInterval.Should().Be(TimeSpan.FromSeconds(10));
        options.CheckinMisfireThreshold.Should().Be(TimeSpan.FromSeconds(20));
        options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("Cluster:CheckinInterval", "ten seconds", "Cluster:CheckinInterval is \"ten seconds\": use a duration between 00:00:00.5000000 and 00:05:00")]
    [InlineData("Cluster:CheckinMisfireThreshold", "00:00:00.1", "Cluster:CheckinMisfireThreshold is \"00:00:00.1\": use a duration between")]
    [InlineData("Cluster:KeepAliveInterval", "01:00:00", "Cluster:KeepAliveInterval is \"01:00:00\": use a duration between 00:00:01 and 00:05:00")]
    [InlineData("Cluster:NodeName", "node a", "Cluster:NodeName is \"node a\": use 1 to 63 letters, digits")]
    public void A_wrong_setting_is_refused_naming_its_key(string key, string value, string message)
    {
        var act = () => Read((key, value));

        act.Should().Throw<StartupConfigurationException>().Which.Message.Should().StartWith(message);
    }

    [Fact]
    public async Task The_portal_started_with_a_wrong_cluster_setting_prints_one_line_naming_the_key_and_exits_with_1()
    {
        var folder = TempFolder.Create("emailsettings-config");
        try
        {
            var (exitCode, output, errors) = await PortalProcess.RunAsync(folder,
                new Dictionary<string, string> { ["Cluster__KeepAliveInterval"] = "soon" }, args: ["--urls", "http://127.0.0.1:0"]);

            exitCode.Should().Be(1);
            errors.Trim().Should().StartWith("EmailSettings cannot start: Cluster:KeepAliveInterval is \"soon\": use a duration between")
                .And.NotContain("\n", "one line, no stack trace");
            output.Should().NotContain(" at ");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
