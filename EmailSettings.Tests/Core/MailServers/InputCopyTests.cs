using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;

namespace EmailSettings.Tests.Core.MailServers;

/// <summary>Test Connection works on a copy of the dialog's input, so typing on during a test cannot change what is tested.</summary>
public sealed class InputCopyTests
{
    [Fact]
    public void A_copy_of_a_mail_server_input_keeps_every_value_while_the_original_changes()
    {
        var input = new MailServerInput
        {
            Name = "Production SMTP", SmtpHost = "smtp.example.com", SmtpPort = 465, SmtpUsername = "mailer",
            SmtpPassword = "secret", UseTls = false, PinnedCertificateSha256 = "AB", HasStoredPassword = true,
        };

        var copy = input.Copy();
        input.SmtpHost = "typed.on.example.com";
        input.SmtpPassword = "other";

        copy.Should().NotBeSameAs(input);
        copy.Should().BeEquivalentTo(new MailServerInput
        {
            Name = "Production SMTP", SmtpHost = "smtp.example.com", SmtpPort = 465, SmtpUsername = "mailer",
            SmtpPassword = "secret", UseTls = false, PinnedCertificateSha256 = "AB", HasStoredPassword = true,
        });
    }

    [Fact]
    public void A_copy_of_an_email_account_input_keeps_every_value_while_the_original_changes()
    {
        var input = new EmailAccountInput
        {
            EmailAddress = "support@example.com", DisplayName = "Support", MailServerId = 3, IsDefault = true,
            ImapHost = "imap.example.com", ImapPort = 143, ImapUsername = "support", ImapPassword = "secret",
            ImapUseTls = false, ImapPinnedCertificateSha256 = "CD", HasStoredImapPassword = true,
        };

        var copy = input.Copy();
        input.ImapHost = "typed.on.example.com";
        input.ImapPort = 993;

        copy.Should().BeEquivalentTo(new EmailAccountInput
        {
            EmailAddress = "support@example.com", DisplayName = "Support", MailServerId = 3, IsDefault = true,
            ImapHost = "imap.example.com", ImapPort = 143, ImapUsername = "support", ImapPassword = "secret",
            ImapUseTls = false, ImapPinnedCertificateSha256 = "CD", HasStoredImapPassword = true,
        });
    }
}
