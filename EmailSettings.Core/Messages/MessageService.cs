using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Messages;

/// <summary>A synced message as the list shows it.</summary>
public sealed record MessageListItem(long Id, long Uid, string From, string To, string Subject, DateTime? Date, long Size, bool IsSeen, string Preview)
{
    /// <summary>The From header split into the name to show and the address beside it.</summary>
    public MessageSender Sender => MessageSender.Parse(From);
}

/// <summary>One page of an account's synced messages.</summary>
/// <param name="AccountName">"Display Name &lt;address&gt;", for text that names the account once.</param>
public sealed record MessagePage(int AccountId, string AccountName, IReadOnlyList<MessageListItem> Items, int TotalCount, int Page, int PageSize)
{
    /// <summary>The account's display name as the settings page shows it (its address when the name is blank).</summary>
    public string DisplayName { get; init; } = AccountName;

    public string EmailAddress { get; init; } = "";
}

/// <summary>The messages the IMAP sync stored, per account of the caller's tenant.</summary>
public sealed class MessageService(IDbContextFactory<EmailSettingsDbContext> dbFactory, ITenantContext tenant)
{
    public const int MaxPageSize = 200;

    /// <summary>
    /// Newest first (date, then UID), <paramref name="page"/> counted from 0; <paramref name="search"/> matches
    /// subject or sender, case-insensitively. Not found when the account is not in the caller's tenant.
    /// </summary>
    public async Task<Result<MessagePage>> ListAsync(int accountId, string? search, int page, int pageSize, CancellationToken ct = default)
    {
        var tenantId = tenant.RequireTenantAdmin();
        page = Math.Max(0, page);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var account = await db.EmailAccounts.AsNoTracking()
            .Where(a => a.Id == accountId && a.TenantId == tenantId)
            .Select(a => new { a.DisplayName, a.EmailAddress })
            .FirstOrDefaultAsync(ct);
        if (account is null)
        {
            return Result<MessagePage>.NotFound(EmailAccountService.NotFoundMessage);
        }

        var query = db.SyncedMessages.AsNoTracking().Where(m => m.EmailAccountId == accountId && m.TenantId == tenantId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = $"%{EscapeLike(search.Trim())}%";
            // Case-insensitive on both: SQLite's LIKE ignores case (for ASCII letters), PostgreSQL's needs ILIKE.
            query = db.Database.IsNpgsql()
                ? query.Where(m => EF.Functions.ILike(m.Subject, pattern, "\\") || EF.Functions.ILike(m.From, pattern, "\\"))
                : query.Where(m => EF.Functions.Like(m.Subject, pattern, "\\") || EF.Functions.Like(m.From, pattern, "\\"));
        }
        var total = await query.CountAsync(ct);
        var items = await query
            .OrderByDescending(m => m.Date).ThenByDescending(m => m.Uid)
            .Skip(page * pageSize).Take(pageSize)
            .Select(m => new MessageListItem(m.Id, m.Uid, m.From, m.To, m.Subject, m.Date, m.Size, m.IsSeen, m.Preview))
            .ToListAsync(ct);
        var name = string.IsNullOrWhiteSpace(account.DisplayName) ? account.EmailAddress : $"{account.DisplayName} <{account.EmailAddress}>";
        return Result<MessagePage>.Ok(new MessagePage(accountId, name, items, total, page, pageSize)
        {
            DisplayName = string.IsNullOrWhiteSpace(account.DisplayName) ? account.EmailAddress : account.DisplayName,
            EmailAddress = account.EmailAddress,
        });
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
