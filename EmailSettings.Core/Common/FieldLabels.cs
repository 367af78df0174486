using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;

namespace EmailSettings.Core.Common;

/// <summary>
/// The spec's label of every field of the mail server and email account dialogs, in one place: the dialogs show them,
/// the validation messages and connection-test results name fields with them, so a renamed label changes everywhere.
/// </summary>
public static class FieldLabels
{
    public const string ServerName = "Server Name";
    public const string SmtpHost = "SMTP Host";
    public const string SmtpPort = "SMTP Port";
    public const string SmtpUsername = "SMTP Username";
    public const string SmtpPassword = "SMTP Password";
    public const string UseTls = "Use TLS/STARTTLS";

    public const string EmailAddress = "Email Address";
    public const string DisplayName = "Display Name";
    public const string MailServer = "Mail Server";
    public const string IsDefaultAccount = "Set as default account";
    public const string ImapHost = "IMAP Host";
    public const string ImapPort = "IMAP Port";
    public const string ImapUsername = "IMAP Username";
    public const string ImapPassword = "IMAP Password";
    public const string ImapUseTls = "Use TLS/SSL";
    public const string PushEnabled = "Push (IDLE)";

    /// <summary>Add Mail Server's address field for settings detection (not a stored field, so not in <see cref="Of"/>).</summary>
    public const string DetectFromAddress = "Detect from address";

    /// <summary>
    /// The label of a field named as <see cref="Result{T}.FieldErrors"/> and connection-test results name it
    /// (the input's property name, e.g. <c>nameof(MailServerInput.SmtpHost)</c>); an unknown name comes back as it is.
    /// </summary>
    public static string Of(string field) => field switch
    {
        nameof(MailServerInput.Name) => ServerName,
        nameof(MailServerInput.SmtpHost) => SmtpHost,
        nameof(MailServerInput.SmtpPort) => SmtpPort,
        nameof(MailServerInput.SmtpUsername) => SmtpUsername,
        nameof(MailServerInput.SmtpPassword) => SmtpPassword,
        nameof(MailServerInput.UseTls) => UseTls,
        nameof(EmailAccountInput.EmailAddress) => EmailAddress,
        nameof(EmailAccountInput.DisplayName) => DisplayName,
        nameof(EmailAccountInput.MailServerId) => MailServer,
        nameof(EmailAccountInput.IsDefault) => IsDefaultAccount,
        nameof(EmailAccountInput.ImapHost) => ImapHost,
        nameof(EmailAccountInput.ImapPort) => ImapPort,
        nameof(EmailAccountInput.ImapUsername) => ImapUsername,
        nameof(EmailAccountInput.ImapPassword) => ImapPassword,
        nameof(EmailAccountInput.ImapUseTls) => ImapUseTls,
        nameof(EmailAccountInput.PushEnabled) => PushEnabled,
        _ => field,
    };
}
