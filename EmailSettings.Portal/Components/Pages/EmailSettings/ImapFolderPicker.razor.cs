using EmailSettings.Core.Connections;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The account dialog's "Folders to sync": the chosen folders as a checklist, and List folders, which asks the server
/// (over the connection layer, with the dialog's values as typed) for its folders so the admin can add Sent, a shared
/// folder and so on. The dialog supplies the listing and owns the chosen list.
/// <code>
/// &lt;ImapFolderPicker Folders="input.Folders" FoldersChanged="f =&gt; input.Folders = f"
///                  ListFolders="ct =&gt; ImapTester.ListFoldersAsync(input.Copy(), AccountId, ct)" /&gt;
/// </code>
/// </summary>
public sealed partial class ImapFolderPicker : IDisposable
{
    /// <summary>From this many rows on, a filter field helps find a folder.</summary>
    private const int FilterFrom = 12;

    private static readonly Dictionary<string, object> FilterAttributes = new() { ["aria-label"] = "Find a folder" };

    private List<Row> rows = [];
    private ImapFolderListing? listing;
    private CancellationTokenSource? runningList;
    private bool running;
    private string? filter;

    /// <summary>The chosen folders (full names); replaced as a whole on every change.</summary>
    [Parameter, EditorRequired]
    public IReadOnlyList<string> Folders { get; set; } = [];

    [Parameter]
    public EventCallback<IReadOnlyList<string>> FoldersChanged { get; set; }

    /// <summary>Lists the server's folders with the dialog's current values; cancelled by Cancel or by closing the dialog.</summary>
    [Parameter, EditorRequired]
    public Func<CancellationToken, Task<ImapFolderListing>> ListFolders { get; set; } = default!;

    [Parameter]
    public bool Disabled { get; set; }

    /// <summary>The validation message of the folder list, from the dialog.</summary>
    [Parameter]
    public string? Error { get; set; }

    [Inject]
    private ILogger<ImapFolderPicker> Logger { get; set; } = default!;

    private IEnumerable<Row> VisibleRows => string.IsNullOrWhiteSpace(filter)
        ? rows
        : rows.Where(r => IsSelected(r.Name) || r.Name.Contains(filter.Trim(), StringComparison.OrdinalIgnoreCase));

    protected override void OnParametersSet()
    {
        // Every chosen folder has a row, also before the server was asked; unchecked rows stay so they can be checked again.
        var added = Folders.Where(name => rows.All(r => r.Name != name)).Select(name => new Row(name, null, true)).ToList();
        if (added.Count > 0)
        {
            rows = [.. SyncFolder.InDisplayOrder(rows.Concat(added), r => r.Name)];
        }
    }

    private bool IsSelected(string name) => Folders.Contains(name, StringComparer.Ordinal);

    private async Task ToggleAsync(string name, bool on)
    {
        var chosen = on
            ? [.. Folders.Where(f => f != name), name]
            : Folders.Where(f => f != name).ToList();
        await FoldersChanged.InvokeAsync([.. SyncFolder.InDisplayOrder(chosen, f => f)]);
    }

    private async Task ListAsync()
    {
        if (running || Disabled)
        {
            return;
        }
        using var cts = new CancellationTokenSource();
        runningList = cts;
        running = true;
        try
        {
            Task<ImapFolderListing>? list = null;
            try
            {
                list = ListFolders(cts.Token);
                listing = await list.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                ObserveLater(list);
                listing = Failed(ConnectionFailureKind.Cancelled, "Listing the folders was cancelled.");
            }
            catch (TenantAccessDeniedException ex)
            {
                listing = Failed(ConnectionFailureKind.ServerError, ex.Message);
            }
            catch (Exception ex)
            {
                // The picker must not take the circuit down: say the listing could not run, keep the details in the log.
                Logger.LogError(ex, "Listing the IMAP folders could not run");
                listing = Failed(ConnectionFailureKind.ServerError, "The folders could not be listed because of an unexpected error. Try again.");
            }
        }
        finally
        {
            running = false;
            runningList = null;
        }
        if (listing is { Succeeded: true } found)
        {
            var onServer = found.Folders.ToDictionary(f => f.FullName, StringComparer.Ordinal);
            var kept = rows.Where(r => !onServer.ContainsKey(r.Name)).Select(r => r with { Missing = true });
            var listed = found.Folders.Select(f => new Row(f.FullName, f.SpecialUse, f.CanSync));
            rows = [.. SyncFolder.InDisplayOrder(listed.Concat(kept), r => r.Name)];
        }
    }

    private void Cancel() => runningList?.Cancel();

    /// <summary>A listing abandoned by Cancel may still fail later; observe it so it is not reported as unobserved.</summary>
    private void ObserveLater(Task<ImapFolderListing>? list) =>
        list?.ContinueWith(
            t => Logger.LogDebug(t.Exception, "A cancelled folder listing failed after it was abandoned"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static ImapFolderListing Failed(ConnectionFailureKind kind, string summary) => new([], new ConnectionTestResult
    {
        Succeeded = false,
        Failure = kind,
        Protocol = "IMAP",
        Summary = summary,
    });

    public void Dispose()
    {
        runningList?.Cancel();
    }

    /// <param name="Missing">Chosen, but not in the server's list.</param>
    private sealed record Row(string Name, string? SpecialUse, bool CanSync, bool Missing = false);
}
