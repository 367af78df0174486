namespace EmailSettings.Core.EmailAccounts;

/// <summary>Told after an account was saved or deleted, for work that follows the account (its sync schedule).</summary>
public interface IEmailAccountChangeListener
{
    Task AccountSavedAsync(Guid tenantId, int accountId, CancellationToken ct);

    Task AccountDeletedAsync(Guid tenantId, int accountId, CancellationToken ct);
}
