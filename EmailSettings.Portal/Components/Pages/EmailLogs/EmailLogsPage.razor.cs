using EmailSettings.Core.Sending;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailLogs;

public partial class EmailLogsPage
{
    private const string AllValue = "All";

    private MudTable<EmailLogRow>? table;
    private string statusFilter = AllValue;
    private int accountFilter;
    private DateRange? dateRange;
    private IReadOnlyList<EmailLogAccount> accounts = [];
    private readonly HashSet<long> expanded = [];

    [Inject]
    private EmailLogService Log { get; set; } = default!;

    private bool HasFilters => statusFilter != AllValue || accountFilter != 0 || dateRange?.Start is not null || dateRange?.End is not null;

    private async Task<TableData<EmailLogRow>> LoadAsync(TableState state, CancellationToken ct)
    {
        var page = await Log.SearchAsync(new EmailLogQuery
        {
            Status = Enum.TryParse<EmailLogStatus>(statusFilter, out var status) ? status : null,
            AccountId = accountFilter == 0 ? null : accountFilter,
            From = dateRange?.Start is { } start ? DateOnly.FromDateTime(start) : null,
            To = dateRange?.End is { } end ? DateOnly.FromDateTime(end) : null,
            Page = state.Page,
            PageSize = state.PageSize,
        }, ct);
        accounts = page.Accounts;
        return new TableData<EmailLogRow> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private Task OnStatusChangedAsync(string value)
    {
        statusFilter = value ?? AllValue;
        return ReloadAsync();
    }

    private Task OnAccountChangedAsync(int value)
    {
        accountFilter = value;
        return ReloadAsync();
    }

    private Task OnDateRangeChangedAsync(DateRange? value)
    {
        dateRange = value;
        return ReloadAsync();
    }

    private void ToggleDetails(long id)
    {
        if (!expanded.Remove(id))
        {
            expanded.Add(id);
        }
    }

    /// <summary>A new filter starts again at the first page.</summary>
    private async Task ReloadAsync()
    {
        expanded.Clear();
        if (table is null)
        {
            return;
        }
        if (table.CurrentPage != 0)
        {
            // Changing the page reloads the data itself.
            table.NavigateTo(0);
        }
        else
        {
            await table.ReloadServerData();
        }
    }
}
