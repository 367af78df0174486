using System.Globalization;
using System.Text.RegularExpressions;
using EmailSettings.Core.Data;
using Microsoft.Extensions.Configuration;

namespace EmailSettings.Core.Cluster;

/// <summary>
/// Configuration section "Cluster": how a node takes part when several share one PostgreSQL database. Read once at
/// start-up; a wrong value stops start-up with a <see cref="StartupConfigurationException"/> naming the key.
/// On SQLite (one node) only <see cref="NodeName"/> is used, in logs.
/// </summary>
public sealed partial class ClusterOptions
{
    public const string SectionName = "Cluster";
    public const string NodeNameKey = SectionName + ":NodeName";
    public const string CheckinIntervalKey = SectionName + ":CheckinInterval";
    public const string CheckinMisfireThresholdKey = SectionName + ":CheckinMisfireThreshold";
    public const string KeepAliveIntervalKey = SectionName + ":KeepAliveInterval";
    public const string IdleTakeoverIntervalKey = SectionName + ":IdleTakeoverInterval";

    /// <summary>The node's name in logs and in <c>pg_stat_activity.application_name</c>; the machine name by default.</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>How often this node's Quartz scheduler records in the database that it is alive.</summary>
    public TimeSpan CheckinInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long past a missed check-in the other nodes wait before they treat this node as dead and re-run its
    /// interrupted syncs. A dead node's syncs are taken over within about interval + threshold.
    /// </summary>
    public TimeSpan CheckinMisfireThreshold { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How often the lease and notification connections are checked. A node notices a lost connection within about
    /// this time; PostgreSQL drops the session of a node it cannot reach any more within about four times it.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a node looks for accounts that want IMAP IDLE but that no node watches (their node died or stopped)
    /// and takes them over. A dead node's idle connections come back on another node within about this time.
    /// </summary>
    public TimeSpan IdleTakeoverInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unique per process even when two nodes are given the same <see cref="NodeName"/>: tells a node its own notifications apart.</summary>
    internal string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Reads and checks the section; throws naming the key of the first wrong value.</summary>
    internal static ClusterOptions Read(IConfiguration configuration)
    {
        var nodeName = configuration[NodeNameKey];
        if (nodeName is not null && !ValidNodeName().IsMatch(nodeName))
        {
            throw new StartupConfigurationException(
                $"{NodeNameKey} is \"{nodeName}\": use 1 to 63 letters, digits, '.', '_' or '-' (for example \"node-a\").");
        }
        var options = new ClusterOptions
        {
            NodeName = string.IsNullOrEmpty(nodeName) ? SafeMachineName() : nodeName,
            CheckinInterval = Duration(configuration, CheckinIntervalKey, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(5)),
            CheckinMisfireThreshold = Duration(configuration, CheckinMisfireThresholdKey, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(30)),
            KeepAliveInterval = Duration(configuration, KeepAliveIntervalKey, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            IdleTakeoverInterval = Duration(configuration, IdleTakeoverIntervalKey, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1)),
        };
        return options;
    }

    private static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (!TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new StartupConfigurationException(
                $"{key} is \"{text}\": use a duration between {min:c} and {max:c} (for example \"{fallback:c}\").");
        }
        return value;
    }

    private static string SafeMachineName()
    {
        var name = Regex.Replace(Environment.MachineName, "[^A-Za-z0-9._-]", "-");
        return name.Length is > 0 and <= 63 ? name : "node";
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}$")]
    private static partial Regex ValidNodeName();
}
