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
    /// Sends as the signed-in caller: needs the tenant administrator role (the UI, e.g. Send test email).
    /// An account id of another tenant behaves as "not found".
    /// </summary>
    Task<SendResult> SendAsync(OutgoingEmail email, CancellationToken ct = default);

    /// <summary>
    /// Sends for <paramref name="tenantId"/> without a signed-in admin: for background work that already knows its
    /// tenant (automation triggers, Quartz jobs). Nothing outside the tenant is reachable: the account is looked up in
    /// that tenant only. Never pass a tenant id that came from user input.
    /// </summary>
    Task<SendResult> SendForTenantAsync(Guid tenantId, OutgoingEmail email, CancellationToken ct = default);
}
