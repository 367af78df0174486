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

    /// <summary>At most this many accounts keep an IDLE connection on this node; the others are polled every <see cref="Interval"/>.</summary>
    public int MaxIdleConnections { get; set; } = 100;

    /// <summary>
    /// How often an idle connection ends IDLE and starts it again: servers may drop an IDLE after 29 minutes (RFC 2177),
    /// some NAT routers far sooner; MailKit's IdleClient sample uses 9 minutes.
    /// </summary>
    public TimeSpan IdleRefresh { get; set; } = TimeSpan.FromMinutes(9);

    /// <summary>The first wait before an idle connection that dropped is made again; it doubles up to <see cref="IdleMaxReconnectDelay"/>, with jitter.</summary>
    public TimeSpan IdleReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts to reconnect an idle connection.</summary>
    public TimeSpan IdleMaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a push waits for more news from the server before it syncs, so a burst of new mail makes one sync.</summary>
    public TimeSpan PushDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>After this many consecutive failures the tenant admins are told (once) that the account's sync is failing.</summary>
    public int AlertAfterFailures { get; set; } = 3;

    /// <summary>After failing for this long the tenant admins are told (once), however few attempts failed.</summary>
    public TimeSpan AlertAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After failing for this long scheduled syncs pause until an admin edits or syncs the account.</summary>
    public TimeSpan PauseAfter { get; set; } = TimeSpan.FromDays(3);

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
        : MaxIdleConnections < 0 ? "Sync:MaxIdleConnections must be 0 (no IDLE) or more."
        : IdleRefresh < TimeSpan.FromSeconds(1) || IdleRefresh > TimeSpan.FromMinutes(29) ? "Sync:IdleRefresh must be between 00:00:01 and 00:29:00 (for example 00:09:00)."
        : IdleReconnectDelay <= TimeSpan.Zero || IdleMaxReconnectDelay < IdleReconnectDelay ? "Sync:IdleReconnectDelay must be positive and at most Sync:IdleMaxReconnectDelay."
        : PushDelay < TimeSpan.Zero || PushDelay > TimeSpan.FromSeconds(10) ? "Sync:PushDelay must be between 00:00:00 and 00:00:10."
        : AlertAfterFailures < 1 ? "Sync:AlertAfterFailures must be at least 1."
        : AlertAfter <= TimeSpan.Zero || PauseAfter <= TimeSpan.Zero ? "Sync:AlertAfter and Sync:PauseAfter must be positive (for example 01:00:00 and 3.00:00:00)."
        : null;
}
