namespace EmailSettings.Core.Sending;

/// <summary>
/// Sends a message through one of the tenant's email accounts (From is the account's address and display name),
/// or through the tenant's default account when the message names none. Every attempt is written to the email log.
/// Expected failures (no default account, account without server, refused connection, TLS, login, rejected recipient)
/// come back as a failed <see cref="SendResult"/> and nothing is sent; they never throw.
/// </summary>
public interface IEmailSender
{
    /// <summary>
    /// Sends as the scope's caller, who needs the tenant administrator role: the signed-in admin in the UI (e.g. Send
    /// test email), or background work (automation triggers, Quartz jobs) in a scope created with
    /// <see cref="Tenancy.TenantScopes.CreateScopeForTenant(IServiceProvider, Guid, bool)"/> for the tenant it works for.
    /// There is no overload taking a tenant id: an account id of another tenant behaves as "not found".
    /// </summary>
    Task<SendResult> SendAsync(OutgoingEmail email, CancellationToken ct = default);
}
