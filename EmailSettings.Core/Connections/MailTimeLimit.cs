namespace EmailSettings.Core.Connections;

/// <summary>
/// How long one mail session may take, measured by a <see cref="TimeProvider"/> so that tests can drive it with a
/// fake clock.
/// </summary>
/// <remarks>
/// Two clocks are at work. <see cref="Token"/> is cancelled by the caller or when <see cref="Total"/> has passed on
/// the <see cref="TimeProvider"/>; every MailKit call and the socket connect get it, and MailKit aborts a pending read
/// or TLS handshake as soon as it is cancelled (it disconnects and rethrows <see cref="OperationCanceledException"/>).
/// MailKit's own <c>Timeout</c> (<see cref="ClientTimeoutMilliseconds"/>) is a second line of defence: a real-time
/// limit on each single read or write (MailKit starts a <c>CancellationTokenSource(timeout)</c> per read and then
/// throws <see cref="TimeoutException"/>), so it does not see a fake clock and restarts with every line the server
/// sends. For a session with a total limit it equals that limit, so under a fake clock the fake one always decides
/// first; a session without one (a long sync) is bounded per command only, and its DNS and TCP connect by
/// <see cref="CommandTimeout"/> on the <see cref="TimeProvider"/>.
/// </remarks>
internal sealed class MailTimeLimit : IDisposable
{
    private readonly CancellationTokenSource? totalTimer;
    private readonly CancellationTokenSource linked;
    private readonly long started;

    private MailTimeLimit(TimeSpan? total, TimeSpan commandTimeout, TimeProvider time, CancellationToken callerToken)
    {
        Total = total;
        CommandTimeout = commandTimeout;
        Time = time;
        CallerToken = callerToken;
        started = time.GetTimestamp();
        totalTimer = total is { } limit ? new CancellationTokenSource(limit, time) : null;
        linked = totalTimer is null
            ? CancellationTokenSource.CreateLinkedTokenSource(callerToken)
            : CancellationTokenSource.CreateLinkedTokenSource(callerToken, totalTimer.Token);
    }

    /// <summary>At most <paramref name="limit"/> from DNS to QUIT (Test Connection, send).</summary>
    public static MailTimeLimit WholeSession(TimeSpan limit, TimeProvider time, CancellationToken callerToken) =>
        new(limit, limit, time, callerToken);

    /// <summary>No total limit, at most <paramref name="commandTimeout"/> for each command (a sync of any size).</summary>
    public static MailTimeLimit PerCommand(TimeSpan commandTimeout, TimeProvider time, CancellationToken callerToken) =>
        new(null, commandTimeout, time, callerToken);

    public TimeSpan? Total { get; }
    public TimeSpan CommandTimeout { get; }
    public TimeProvider Time { get; }
    public CancellationToken CallerToken { get; }

    /// <summary>Cancelled by the caller or when the total limit is reached.</summary>
    public CancellationToken Token => linked.Token;

    public bool CallerCancelled => CallerToken.IsCancellationRequested;
    public bool TotalReached => totalTimer?.IsCancellationRequested == true;

    /// <summary>MailKit's per-read timeout (real time).</summary>
    public int ClientTimeoutMilliseconds => (int)Math.Min(int.MaxValue, Math.Ceiling(CommandTimeout.TotalMilliseconds));

    public TimeSpan Elapsed => Time.GetElapsedTime(started);

    /// <summary>A token that also ends after <paramref name="length"/> on this limit's clock.</summary>
    public LimitWindow Window(TimeSpan length) => new(Token, length, Time);

    public void Dispose()
    {
        linked.Dispose();
        totalTimer?.Dispose();
    }
}

/// <summary>A part of a session with a limit of its own, never past the session's limit.</summary>
internal sealed class LimitWindow : IDisposable
{
    private readonly CancellationTokenSource timer;
    private readonly CancellationTokenSource linked;

    public LimitWindow(CancellationToken outer, TimeSpan length, TimeProvider time)
    {
        timer = new CancellationTokenSource(length, time);
        linked = CancellationTokenSource.CreateLinkedTokenSource(outer, timer.Token);
    }

    public CancellationToken Token => linked.Token;

    /// <summary>True when the window's own time ran out (not the session's).</summary>
    public bool Expired => timer.IsCancellationRequested;

    public void Dispose()
    {
        linked.Dispose();
        timer.Dispose();
    }
}
