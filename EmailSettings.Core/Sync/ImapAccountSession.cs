using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Secrets;

namespace EmailSettings.Core.Sync;

/// <summary>Where and as whom an account's IMAP sessions sign in, from its stored settings.</summary>
internal static class ImapAccountSession
{
    public static MailEndpoint Endpoint(EmailAccount account) =>
        new(ConnectionProtocol.Imap, account.ImapHost!, account.ImapPort, account.ImapUseTls, account.ImapPinnedCertificateSha256, account.DisplayName);

    /// <summary>
    /// The account's sign-in: its password, or an OAuth2 token of its grant (renewed ahead of expiry and once when the
    /// server refuses it). Throws <see cref="System.Security.Cryptography.CryptographicException"/> when the stored
    /// secret cannot be read, and a reconnect-needed error, before the server or the provider is contacted, when the
    /// grant is already known dead.
    /// </summary>
    public static async Task<MailCredential> CredentialAsync(EmailAccount account, MailCredentials credentials, SecretProtector secrets, CancellationToken ct) =>
        account.ImapSignInMethod == OAuth.SignInMethod.OAuth2
            ? await credentials.ForRecordAsync(account.TenantId, OAuth.OAuthTargetKind.EmailAccount, account.Id, account.ImapUsername!, ct)
            : new PasswordCredential(account.ImapUsername!, secrets.Unprotect(SecretKind.ImapPassword, account.ImapPasswordProtected!));
}
