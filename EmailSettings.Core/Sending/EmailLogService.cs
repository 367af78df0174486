using EmailSettings.Core.Data;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Sending;

/// <summary>A page of the email log as the Email Logs page asks for it. Dates are UTC days, both ends inclusive.</summary>
public sealed record EmailLogQuery
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 100;

    public EmailLogStatus? Status { get; init; }
    public int? AccountId { get; init; }
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }

    /// <summary>Zero-based.</summary>
    public int Page { get; init; }
    public int PageSize { get; init; } = DefaultPageSize;
}

/// <summary>One send attempt as the log lists it.</summary>
public sealed record EmailLogRow(
    long Id,
    DateTime AttemptedAt,
    int? AccountId,
    string FromAddress,
    string Recipients,
    string Subject,
    EmailLogStatus Status,
    string? ServerResponse,
    string? Error,
    string? MessageId);

/// <summary>An account that appears in the log, for the account filter.</summary>
public sealed record EmailLogAccount(int Id, string EmailAddress);

public sealed record EmailLogPage(
    IReadOnlyList<EmailLogRow> Items,
    int TotalCount,
    int Page,
    int PageSize,
    IReadOnlyList<EmailLogAccount> Accounts);

/// <summary>Reads the tenant's email log. Every call is limited to the caller's tenant and needs its admin role.</summary>
public sealed class EmailLogService(IDbContextFactory<EmailSettingsDbContext> dbFactory, ITenantContext tenant)
{
    /// <summary>The matching attempts, newest first, one page of them, with the total count.</summary>
    public async Task<EmailLogPage> SearchAsync(EmailLogQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var tenantId = tenant.RequireTenantAdmin();
        var pageSize = Math.Clamp(query.PageSize, 1, EmailLogQuery.MaxPageSize);
        var page = Math.Max(query.Page, 0);

        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var log = db.EmailLog.AsNoTracking().Where(e => e.TenantId == tenantId);
        if (query.Status is { } status)
        {
            log = log.Where(e => e.Status == status);
        }
        if (query.AccountId is { } accountId)
        {
            log = log.Where(e => e.EmailAccountId == accountId);
        }
        if (query.From is { } from)
        {
            var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            log = log.Where(e => e.AttemptedAt >= start);
        }
        if (query.To is { } to)
        {
            var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            log = log.Where(e => e.AttemptedAt < end);
        }

        var total = await log.CountAsync(ct);
        var items = await log
            .OrderByDescending(e => e.AttemptedAt).ThenByDescending(e => e.Id)
            .Skip(page * pageSize).Take(pageSize)
            .Select(e => new EmailLogRow(
                e.Id, e.AttemptedAt, e.EmailAccountId, e.FromAddress, e.Recipients, e.Subject,
                e.Status, e.ServerResponse, e.Error, e.MessageId))
            .ToListAsync(ct);

        var accounts = await db.EmailLog.AsNoTracking()
            .Where(e => e.TenantId == tenantId && e.EmailAccountId != null)
            .GroupBy(e => e.EmailAccountId!.Value)
            .Select(g => new { Id = g.Key, Address = g.Max(e => e.FromAddress) })
            .ToListAsync(ct);

        return new EmailLogPage(
            items, total, page, pageSize,
            accounts.Select(a => new EmailLogAccount(a.Id, a.Address!)).OrderBy(a => a.EmailAddress, StringComparer.OrdinalIgnoreCase).ToList());
    }
}
