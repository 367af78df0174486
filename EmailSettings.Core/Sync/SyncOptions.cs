namespace EmailSettings.Core.Sync;

/// <summary>Configuration section "Sync": how often and how the IMAP sync runs.</summary>
public sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>Time between scheduled syncs of one account.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Messages fetched and committed together; an interrupted sync loses at most one uncommitted batch of work.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Timeout of every single IMAP operation (connect, each command).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>After this many consecutive failures, scheduled runs back off exponentially (manual syncs always run).</summary>
    public int BackoffAfterFailures { get; set; } = 3;

    /// <summary>The longest a failing account waits between scheduled attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(6);

    public const int DefaultConcurrency = 4;

    /// <summary>Scheduled syncs one node runs at the same time (Quartz's thread pool). Read at start-up.</summary>
    public int Concurrency { get; set; } = DefaultConcurrency;

    /// <summary>The wait before the next scheduled attempt after <paramref name="consecutiveFailures"/> failures; zero when none.</summary>
    public TimeSpan BackoffFor(int consecutiveFailures)
    {
        if (consecutiveFailures < BackoffAfterFailures)
        {
            return TimeSpan.Zero;
        }
        var exponent = Math.Min(consecutiveFailures - BackoffAfterFailures + 1, 20);
        var delay = Interval * Math.Pow(2, exponent);
        return delay < MaxBackoff ? delay : MaxBackoff;
    }

    internal string? Validate() =>
        Interval < TimeSpan.FromSeconds(1) ? "Sync:Interval must be at least 00:00:01 (for example 00:05:00)."
        : BatchSize is < 1 or > 5000 ? "Sync:BatchSize must be between 1 and 5000."
        : Timeout < TimeSpan.FromSeconds(1) ? "Sync:Timeout must be at least 00:00:01."
        : BackoffAfterFailures < 1 ? "Sync:BackoffAfterFailures must be at least 1."
        : Concurrency is < 1 or > 64 ? "Sync:Concurrency must be between 1 and 64."
        : null;
}
