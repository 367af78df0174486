using System.Security.Claims;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The Email Settings workspace: mail server and email account cards, with dialogs that save through the Core services.
/// After every change both lists are read again, so badges and counts (default, accounts per server) are always current.
/// When any sync of the tenant ends, the account's card is read again (its status and message count).
/// </summary>
public partial class EmailSettingsPage : IDisposable
{
    private static readonly DialogOptions FormDialog = SettingsDialogs.Form;
    private static readonly DialogOptions ConfirmDialog = SettingsDialogs.Confirm;

    /// <summary>
    /// Email account cards rendered at first (two rows of three on a wide screen); a filter and "Show more" reach the
    /// rest. Every card stays in the circuit (a MudBlazor card is some 20-27 components, 65-95 KB), so the first cards
    /// of both sections decide whether an idle circuit of the page stays within 1.5 MB (docs/benchmarks.md, "Memory
    /// per circuit").
    /// </summary>
    public const int FirstAccountCards = 6;

    /// <summary>
    /// Mail server cards rendered at first (one row): a tenant sends through a few servers and works with many
    /// accounts, so the accounts get the room. With six of each an idle circuit was 1.39-1.61 MB, over the target in
    /// two of five runs; with three servers it stays below it.
    /// </summary>
    public const int FirstServerCards = 3;

    /// <summary>
    /// Cards each "Show more" adds: a tenant with 50 accounts reaches them all in two clicks. What a circuit holds once
    /// its admin asked for more is not what the 1.5 MB target is about (an idle page as it opens).
    /// </summary>
    public const int CardsPerShowMore = 24;

    private IReadOnlyList<MailServerSummary>? servers;
    private IReadOnlyList<EmailAccountSummary>? accounts;
    private string? loadError;
    private bool busy;
    private int reloadsInFlight;
    private int loadGeneration;
    private IDisposable? syncSubscription;
    private readonly Dictionary<int, SyncProgress> runningSyncs = [];
    private readonly CancellationTokenSource disposed = new();

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;
    [Inject] private MailServerService Servers { get; set; } = default!;
    [Inject] private EmailAccountService Accounts { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ILogger<EmailSettingsPage> Logger { get; set; } = default!;
    [Inject] private ITenantContext Tenant { get; set; } = default!;
    [Inject] private SyncService Sync { get; set; } = default!;

    /// <summary>
    /// Why the buttons cannot act now, for their tooltips; null when they can. Prerendered buttons do nothing until the
    /// circuit connects, so they stay disabled until then.
    /// </summary>
    private string? DisabledReason =>
        !RendererInfo.IsInteractive ? "Available once the page has loaded"
        : loadError is not null ? "The settings could not be loaded"
        : busy ? "Wait until the current change is saved"
        : null;

    protected override Task OnInitializedAsync()
    {
        // Subscribed before the first read: a sync that ends while the lists load (the first sync of a just-saved
        // account often does) is still heard, and its card read again, instead of showing "Not synced yet" forever.
        // One subscription for every card: a sync spins its card whoever started it (schedule, this page, another browser).
        if (RendererInfo.IsInteractive && Tenant.IsTenantAdmin && Tenant.TenantId is not null)
        {
            syncSubscription = Sync.Subscribe(OnSyncEventAsync);
            foreach (var running in Sync.GetRunning())
            {
                runningSyncs[running.AccountId] = running;
            }
        }
        return ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        // Overlapping reads (an action and a sync ending together) may finish out of order: only the latest one shows.
        var generation = ++loadGeneration;
        reloadsInFlight++;
        try
        {
            // Core lists in the page's order (DisplayOrder): a card does not move when it becomes the default.
            var freshServers = await Servers.ListAsync();
            var freshAccounts = await Accounts.ListAsync();
            if (generation == loadGeneration)
            {
                (servers, accounts, loadError) = (freshServers, freshAccounts, null);
            }
        }
        catch (TenantAccessDeniedException ex)
        {
            ShowLoadError(ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogError(ex, "Loading email settings failed");
            ShowLoadError("The email settings could not be loaded. Reload the page to try again.");
        }
        finally
        {
            reloadsInFlight--;
        }
    }

    private void ShowLoadError(string message)
    {
        loadError = message;
        servers = [];
        accounts = [];
    }

    private Task OnSyncEventAsync(SyncProgress progress) => InvokeAsync(async () =>
    {
        if (progress.IsRunning)
        {
            runningSyncs[progress.AccountId] = progress;
            StateHasChanged();
        }
        else
        {
            runningSyncs.Remove(progress.AccountId);
            await RefreshAccountAsync(progress.AccountId);
        }
    });

    /// <summary>Runs (or joins) a sync of the account; the card spins through the page's subscription, failures come as a snackbar.</summary>
    private async Task SyncAccountAsync(EmailAccountSummary account)
    {
        try
        {
            var result = await Sync.RequestSyncAsync(account.Id, disposed.Token);
            if (SyncFeedback.Describe(result, account.DisplayName) is { } feedback)
            {
                Snackbar.Add(feedback.Text, feedback.Severity);
            }
        }
        catch (OperationCanceledException) when (disposed.IsCancellationRequested)
        {
            // The page went away while waiting; the sync itself carries on and other pages still see it.
        }
    }

    /// <summary>
    /// Reads one account again after its sync ended. A read of the whole list that is still running may have started
    /// before the sync committed, and an account not in the list yet was just added: both take a full read instead.
    /// </summary>
    private async Task RefreshAccountAsync(int accountId)
    {
        try
        {
            if (reloadsInFlight == 0 && accounts?.Any(a => a.Id == accountId) == true && await Accounts.GetAsync(accountId) is { } fresh)
            {
                // A full read that started meanwhile began after the sync committed: both show the same state.
                accounts = accounts.Select(a => a.Id == accountId ? fresh : a).ToList();
            }
            else
            {
                await ReloadAsync();
            }
            StateHasChanged();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the card's status is stale; the next action or reload shows it.
            Logger.LogWarning(ex, "Refreshing account {AccountId} after its sync failed", accountId);
        }
    }

    public void Dispose()
    {
        syncSubscription?.Dispose();
        disposed.Cancel();
        disposed.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task AddServerAsync() => await ShowFormAsync<MailServerDialog>("Add Mail Server", []);

    private async Task EditServerAsync(MailServerSummary server) =>
        await ShowFormAsync<MailServerDialog>("Edit Mail Server", new DialogParameters<MailServerDialog> { { d => d.ServerId, server.Id } });

    // A server the dialog added for the account shows at once, even if the account is then not saved.
    private async Task AddAccountAsync() => await ShowFormAsync<EmailAccountDialog>("Add Email Account", new DialogParameters<EmailAccountDialog>
    {
        { d => d.OnServerAdded, EventCallback.Factory.Create<MailServerSummary>(this, ReloadAsync) },
    });

    private async Task EditAccountAsync(EmailAccountSummary account) =>
        await ShowFormAsync<EmailAccountDialog>("Edit Email Account", new DialogParameters<EmailAccountDialog> { { d => d.AccountId, account.Id } });

    private async Task SendTestEmailAsync(EmailAccountSummary account)
    {
        var user = (await AuthenticationState).User;
        var parameters = new DialogParameters<SendTestEmailDialog>
        {
            { d => d.AccountId, account.Id },
            { d => d.AccountName, account.DisplayName },
            { d => d.DefaultRecipient, user.FindFirst(ClaimTypes.Email)?.Value ?? user.Identity?.Name },
        };
        await Dialogs.ShowAsync<SendTestEmailDialog>("Send test email", parameters, FormDialog);
    }

    private async Task ShowFormAsync<TDialog>(string title, DialogParameters parameters) where TDialog : ComponentBase
    {
        var dialog = await Dialogs.ShowAsync<TDialog>(title, parameters, FormDialog);
        var result = await dialog.Result;
        if (result is { Canceled: false })
        {
            await ReloadAsync();
        }
    }

    private async Task DeleteServerAsync(MailServerSummary server)
    {
        var users = accounts?.Where(a => a.MailServerId == server.Id).Select(a => a.DisplayName).ToList() ?? [];
        var consequence = users.Count switch
        {
            0 => null,
            1 => $"1 email account uses this server and will lose its outbound server: {users[0]}.",
            var n => $"{n} email accounts use this server and will lose their outbound server: {string.Join(", ", users)}.",
        };
        await ConfirmDeleteAsync("Delete mail server?", $"Are you sure you want to delete {server.Name}? This cannot be undone.", consequence,
            async ct =>
            {
                var result = await Servers.DeleteAsync(server.Id, ct);
                if (!result.Succeeded)
                {
                    return result.Message;
                }
                var unlinked = result.Value!.AffectedAccounts;
                Snackbar.Add(unlinked switch
                {
                    0 => $"Deleted {server.Name}.",
                    1 => $"Deleted {server.Name}. 1 account now has no mail server.",
                    var n => $"Deleted {server.Name}. {n} accounts now have no mail server.",
                }, Severity.Success);
                return null;
            });
    }

    private async Task DeleteAccountAsync(EmailAccountSummary account) =>
        await ConfirmDeleteAsync("Delete email account?",
            $"Are you sure you want to delete the account {account.DisplayName}? This cannot be undone.",
            account.MessageCount > 0 ? $"Its {account.MessageCount} synced messages are deleted with it." : null,
            async ct =>
            {
                var result = await Accounts.DeleteAsync(account.Id, ct);
                if (!result.Succeeded)
                {
                    return result.Message;
                }
                Snackbar.Add($"Deleted the account {account.DisplayName}.", Severity.Success);
                return null;
            });

    private async Task ConfirmDeleteAsync(string title, string message, string? consequence, Func<CancellationToken, Task<string?>> delete)
    {
        var parameters = new DialogParameters<ConfirmDeleteDialog>
        {
            { d => d.Title, title },
            { d => d.Message, message },
            { d => d.Consequence, consequence },
            { d => d.Delete, delete },
        };
        var dialog = await Dialogs.ShowAsync<ConfirmDeleteDialog>(title, parameters, ConfirmDialog);
        await dialog.Result;
        // Reload even after Cancel: a failed delete ("no longer exists") means the list is stale.
        await ReloadAsync();
    }

    private Task MakeServerDefaultAsync(MailServerSummary server) =>
        RunAsync(async () =>
        {
            var result = await Servers.SetDefaultAsync(server.Id);
            Report(result.Succeeded, $"{server.Name} is now the default mail server.", result.Message);
        });

    private Task MakeAccountDefaultAsync(EmailAccountSummary account) =>
        RunAsync(async () =>
        {
            var result = await Accounts.SetDefaultAsync(account.Id);
            Report(result.Succeeded, $"{account.DisplayName} is now the default account.", result.Message);
        });

    /// <summary>Reconnect on a card completed its sign-in: attach it, and the account syncs again.</summary>
    private Task ReconnectAccountAsync(AccountReconnected reconnected) =>
        RunAsync(async () =>
        {
            var (account, grant) = reconnected;
            var result = await Accounts.ReconnectAsync(account.Id, grant.Id);
            Report(result.Succeeded, $"{account.DisplayName} is reconnected{(grant.Address is { } a ? $" as {a}" : "")}; it syncs again.",
                result.FieldErrors.Values.FirstOrDefault() ?? result.Message);
        });

    private Task ReconnectServerAsync(ServerReconnected reconnected) =>
        RunAsync(async () =>
        {
            var (server, grant) = reconnected;
            var result = await Servers.ReconnectAsync(server.Id, grant.Id);
            Report(result.Succeeded, $"{server.Name} is reconnected{(grant.Address is { } a ? $" as {a}" : "")}.",
                result.FieldErrors.Values.FirstOrDefault() ?? result.Message);
        });

    private void Report(bool succeeded, string success, string? failure) =>
        Snackbar.Add(succeeded ? success : failure ?? "That did not work; the page shows the current state.",
            succeeded ? Severity.Success : Severity.Error);

    /// <summary>Runs a one-click action with the buttons disabled, then shows the current state.</summary>
    private async Task RunAsync(Func<Task> action)
    {
        busy = true;
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogError(ex, "Email settings action failed");
            Snackbar.Add("Something went wrong. The page shows the current state; try again.", Severity.Error);
        }
        finally
        {
            busy = false;
        }
        await ReloadAsync();
    }
}
