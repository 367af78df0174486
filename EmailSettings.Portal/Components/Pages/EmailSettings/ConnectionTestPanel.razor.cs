using System.Globalization;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// Test Connection button, progress with Cancel, and the result inline, for the server and account dialogs.
/// The dialog supplies the test (it knows the input and the id); closing the dialog disposes this panel,
/// which cancels a running test.
/// <code>
/// &lt;ConnectionTestPanel RunTest="ct =&gt; SmtpTester.TestAsync(model, serverId, ct)"
///                      OnTrustCertificate="sha256 =&gt; model.PinnedCertificateSha256 = sha256" /&gt;
/// </code>
/// </summary>
public sealed partial class ConnectionTestPanel : IDisposable
{
    private const string FactsStyle = "display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 0";

    private CancellationTokenSource? runningTest;
    private bool running;
    private bool disposed;
    private ConnectionTestResult? result;
    private ElementReference resultElement;
    private bool revealResult;

    /// <summary>Runs the test with the dialog's current values; the token is cancelled by Cancel or by closing the dialog.</summary>
    [Parameter, EditorRequired]
    public Func<CancellationToken, Task<ConnectionTestResult>> RunTest { get; set; } = default!;

    /// <summary>Receives the SHA-256 fingerprint the admin chose to trust; the panel tests again once it completes.</summary>
    [Parameter]
    public EventCallback<string> OnTrustCertificate { get; set; }

    /// <summary>Told about every finished test (e.g. to highlight <see cref="ConnectionTestResult.Field"/>).</summary>
    [Parameter]
    public EventCallback<ConnectionTestResult> OnCompleted { get; set; }

    [Parameter]
    public string ButtonText { get; set; } = "Test Connection";

    [Parameter]
    public bool Disabled { get; set; }

    [Inject]
    private ILogger<ConnectionTestPanel> Logger { get; set; } = default!;

    /// <summary>The last result shown, or null.</summary>
    public ConnectionTestResult? Result => result;

    private async Task RunAsync()
    {
        if (running || Disabled)
        {
            return;
        }
        using var cts = new CancellationTokenSource();
        runningTest = cts;
        running = true;
        result = null;
        try
        {
            Task<ConnectionTestResult>? test = null;
            try
            {
                test = RunTest(cts.Token);
                // WaitAsync: Cancel answers at once, even while the test is still winding down.
                result = await test.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                ObserveLater(test);
                result = Cancelled();
            }
            catch (TenantAccessDeniedException ex)
            {
                result = CouldNotRun(ex.Message);
            }
            catch (Exception ex)
            {
                // The panel must not take the circuit down: say the test could not run, keep the details in the log.
                Logger.LogError(ex, "Connection test could not run");
                result = CouldNotRun("The test could not be run because of an unexpected error. Try again; if it persists, contact support.");
            }
        }
        finally
        {
            running = false;
            runningTest = null;
            revealResult = true;
        }
        if (!disposed && OnCompleted.HasDelegate)
        {
            await OnCompleted.InvokeAsync(result);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!revealResult || disposed || result is null)
        {
            return;
        }
        revealResult = false;
        try
        {
            await resultElement.FocusAsync(preventScroll: false);
        }
        catch (JSDisconnectedException)
        {
            // The browser went away while the test ran; there is nothing to show it on.
        }
    }

    private void Cancel() => runningTest?.Cancel();

    private async Task TrustAsync()
    {
        if (result?.Certificate is not { } certificate)
        {
            return;
        }
        await OnTrustCertificate.InvokeAsync(certificate.Sha256);
        if (!disposed)
        {
            await RunAsync();
        }
    }

    /// <summary>A test abandoned by Cancel may still fail later; observe it so it is not reported as unobserved.</summary>
    private void ObserveLater(Task<ConnectionTestResult>? test) =>
        test?.ContinueWith(
            t => Logger.LogDebug(t.Exception, "A cancelled connection test failed after it was abandoned"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static ConnectionTestResult Cancelled() => new()
    {
        Succeeded = false,
        Failure = ConnectionFailureKind.Cancelled,
        Protocol = "",
        Summary = "The test was cancelled.",
    };

    private static ConnectionTestResult CouldNotRun(string message) => new()
    {
        Succeeded = false,
        Failure = ConnectionFailureKind.ServerError,
        Protocol = "",
        Summary = message,
    };

    private static Severity SeverityOf(ConnectionTestResult r) => r switch
    {
        { Succeeded: true, Hint: null } => Severity.Success,
        { Succeeded: true } => Severity.Warning,
        { Failure: ConnectionFailureKind.Cancelled } => Severity.Info,
        { Failure: ConnectionFailureKind.CertificateNotTrusted } => Severity.Warning,
        _ => Severity.Error,
    };

    private static string SecurityText(ConnectionTestResult r) =>
        r.TlsProtocol is null ? r.TlsMode ?? "" : $"{r.TlsMode} ({r.TlsProtocol})";

    private static string ImapFeaturesText(ConnectionTestResult r) => string.Join(", ",
        new[] { ImapConnectionTester.CondStore, ImapConnectionTester.QResync, ImapConnectionTester.Idle }
            .Select(c => $"{c} {(r.Offers(c) ? "yes" : "no")}"));

    private static string ElapsedText(TimeSpan elapsed) => elapsed.TotalSeconds < 10
        ? elapsed.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture)
        : elapsed.TotalSeconds.ToString("0 's'", CultureInfo.InvariantCulture);

    /// <summary>"AB:CD:…", as browsers and openssl show fingerprints.</summary>
    public static string FormatFingerprint(string sha256) =>
        string.Join(':', Enumerable.Range(0, sha256.Length / 2).Select(i => sha256.Substring(i * 2, 2)));

    public void Dispose()
    {
        disposed = true;
        runningTest?.Cancel();
    }
}
