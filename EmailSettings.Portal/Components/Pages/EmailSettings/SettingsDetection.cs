using EmailSettings.Core.Autodetect;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The settings detection of one dialog: runs <see cref="MailSettingsDetector"/> in the background for the address typed,
/// one run at a time (a new address cancels the run for the previous one), remembers the addresses whose proposal the
/// admin dismissed, and stops when the dialog closes (<see cref="Dispose"/>). It never throws to the dialog: every
/// outcome is a proposal or a message for the line next to the address field.
/// </summary>
/// <param name="changed">Re-renders the dialog (<c>() =&gt; InvokeAsync(StateHasChanged)</c>) when a run starts or ends.</param>
public sealed class SettingsDetection(MailSettingsDetector detector, Func<Task> changed, ILogger logger) : IDisposable
{
    private readonly HashSet<string> dismissed = new(StringComparer.OrdinalIgnoreCase);
    private CancellationTokenSource? running;
    private bool disposed;

    /// <summary>The address of the current run or result; null before any.</summary>
    public string? Address { get; private set; }

    public bool IsRunning => running is not null;

    /// <summary>The answer for <see cref="Address"/> once a run has ended.</summary>
    public MailSettingsDetection? Result { get; private set; }

    /// <summary>What to say next to the field: why nothing is proposed (invalid address, nothing found, time limit, cancelled).</summary>
    public string? Message { get; private set; }

    /// <summary>True once the admin used the proposal of <see cref="Address"/>.</summary>
    public bool Applied { get; private set; }

    /// <summary>The labels of the fields the admin had typed and the proposal left as they were.</summary>
    public IReadOnlyList<string> Kept { get; private set; } = [];

    /// <summary>False when Autodetect:Enabled is off: only the built-in presets answer.</summary>
    public bool NetworkLookupsEnabled => detector.NetworkLookupsEnabled;

    /// <summary>The proposal to offer now: found, neither used nor dismissed.</summary>
    public DetectedMailSettings? Proposal => Result is { Found: true } result && !Applied && !IsDismissed(Address) ? result.Settings : null;

    /// <summary>
    /// Detects the settings of <paramref name="typed"/>. When the admin leaves the field (<paramref name="asked"/> false),
    /// an address already looked up or dismissed is not looked up again; the Detect settings button (<paramref name="asked"/>
    /// true) looks it up again, dismissed or not, unless a run for it is under way. Returns when the run ends; the dialog
    /// does not wait for it.
    /// </summary>
    public Task DetectAsync(string? typed, bool asked)
    {
        var address = typed?.Trim() ?? "";
        if (disposed)
        {
            return Task.CompletedTask;
        }
        if (address.Length == 0)
        {
            Stop();
            Show(null);
            return Task.CompletedTask;
        }
        var same = string.Equals(address, Address, StringComparison.OrdinalIgnoreCase);
        if (same && (IsRunning || !asked))
        {
            return Task.CompletedTask;
        }
        if (!asked && dismissed.Contains(address))
        {
            Stop();
            Show(address);
            return Task.CompletedTask;
        }
        dismissed.Remove(address);
        return RunAsync(address);
    }

    /// <summary>Starts <see cref="DetectAsync"/> without waiting for it: the admin goes on typing while it runs.</summary>
    public void Start(string? typed, bool asked) => _ = DetectAsync(typed, asked);

    /// <summary>The Cancel button next to the spinner.</summary>
    public void Cancel() => running?.Cancel();

    /// <summary>Hides the proposal of <see cref="Address"/>; leaving the field with that address again does not bring it back.</summary>
    public void Dismiss()
    {
        if (Address is not null)
        {
            dismissed.Add(Address);
        }
    }

    public void MarkApplied(IReadOnlyList<string> kept)
    {
        Applied = true;
        Kept = kept;
    }

    public void Dispose()
    {
        disposed = true;
        Stop();
    }

    private bool IsDismissed(string? address) => address is not null && dismissed.Contains(address);

    private async Task RunAsync(string address)
    {
        Stop();
        using var cts = new CancellationTokenSource();
        running = cts;
        Show(address);
        await NotifyAsync();
        try
        {
            // Network lookups run on the thread pool: their own continuations (TLS, XML parsing) must not queue on the
            // circuit's synchronization context, where they would hold up the admin's typing; only this method comes back
            // to it. Presets alone answer at once, in the same render as the address.
            var result = detector.NetworkLookupsEnabled
                ? await Task.Run(() => detector.DetectAsync(address, cts.Token), CancellationToken.None)
                : await detector.DetectAsync(address, cts.Token);
            if (running != cts)
            {
                return;
            }
            Result = result;
            Message = result.Found ? null : result.Message;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            if (running != cts)
            {
                return;
            }
            Message = "Detection cancelled. Enter the server settings by hand, or click Detect settings to try again.";
        }
        catch (Exception ex)
        {
            // The detector answers expected failures with a result; anything else is a bug, said here and logged, never thrown.
            logger.LogError(ex, "Settings detection failed unexpectedly");
            if (running != cts)
            {
                return;
            }
            Message = "The settings could not be detected because of an unexpected error. Enter the server settings by hand.";
        }
        finally
        {
            if (running == cts)
            {
                running = null;
            }
        }
        if (!disposed)
        {
            await NotifyAsync();
        }
    }

    /// <summary>Re-renders the dialog; a circuit that went away meanwhile has nothing to show it on.</summary>
    private async Task NotifyAsync()
    {
        try
        {
            await changed();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            logger.LogDebug(ex, "The dialog was gone when its settings detection ended");
        }
    }

    /// <summary>Cancels the run under way; it ends without touching the state (it is no longer <see cref="running"/>).</summary>
    private void Stop()
    {
        var run = running;
        running = null;
        run?.Cancel();
    }

    private void Show(string? address)
    {
        Address = address;
        Result = null;
        Message = null;
        Applied = false;
        Kept = [];
    }
}
