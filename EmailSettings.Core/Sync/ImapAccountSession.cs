using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Secrets;

namespace EmailSettings.Core.Sync;

/// <summary>Where and as whom an account's IMAP sessions sign in, from its stored settings.</summary>
internal static class ImapAccountSession
{
    public static MailEndpoint Endpoint(EmailAccount account) =>
        new(ConnectionProtocol.Imap, account.ImapHost!, account.ImapPort, account.ImapUseTls, account.ImapPinnedCertificateSha256, account.DisplayName);

    /// <summary>The credential of the account; throws <see cref="System.Security.Cryptography.CryptographicException"/> when the stored secret cannot be read.</summary>
    public static MailCredential Credential(EmailAccount account, SecretProtector secrets) =>
        new PasswordCredential(account.ImapUsername!, secrets.Unprotect(SecretKind.ImapPassword, account.ImapPasswordProtected!));
}
