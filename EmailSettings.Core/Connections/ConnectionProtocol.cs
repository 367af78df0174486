using System.Text.RegularExpressions;
using EmailSettings.Core.Common;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// The protocol-specific words of a mail connection: which dialog fields it reads, how the spec labels them, how
/// messages outside the dialog name the server and its record, which port means TLS on connect, and what the
/// protocol's greeting looks like.
/// </summary>
internal sealed partial class ConnectionProtocol
{
    public static readonly ConnectionProtocol Smtp = new()
    {
        Name = "SMTP",
        ServerNoun = "mail server",
        RecordNoun = "server",
        HostField = nameof(MailServerInput.SmtpHost),
        PortField = nameof(MailServerInput.SmtpPort),
        UsernameField = nameof(MailServerInput.SmtpUsername),
        PasswordField = nameof(MailServerInput.SmtpPassword),
        TlsField = nameof(MailServerInput.UseTls),
        HostLabel = FieldLabels.SmtpHost,
        PortLabel = FieldLabels.SmtpPort,
        UsernameLabel = FieldLabels.SmtpUsername,
        PasswordLabel = FieldLabels.SmtpPassword,
        TlsLabel = FieldLabels.UseTls,
        ImplicitTlsPort = TlsPolicy.SmtpImplicitTlsPort,
        StartTlsPort = 587,
        PortAdvice = "SMTP normally uses port 587 (STARTTLS), 465 (TLS on connect) or 25 (plain).",
        IsGreeting = line => SmtpReply().IsMatch(line),
        ChooseTls = TlsPolicy.ForSmtp,
    };

    public static readonly ConnectionProtocol Imap = new()
    {
        Name = "IMAP",
        ServerNoun = "IMAP server",
        RecordNoun = "account",
        HostField = nameof(EmailAccountInput.ImapHost),
        PortField = nameof(EmailAccountInput.ImapPort),
        UsernameField = nameof(EmailAccountInput.ImapUsername),
        PasswordField = nameof(EmailAccountInput.ImapPassword),
        TlsField = nameof(EmailAccountInput.ImapUseTls),
        HostLabel = FieldLabels.ImapHost,
        PortLabel = FieldLabels.ImapPort,
        UsernameLabel = FieldLabels.ImapUsername,
        PasswordLabel = FieldLabels.ImapPassword,
        TlsLabel = FieldLabels.ImapUseTls,
        ImplicitTlsPort = TlsPolicy.ImapImplicitTlsPort,
        StartTlsPort = 143,
        PortAdvice = "IMAP normally uses port 993 (TLS on connect) or 143 (STARTTLS).",
        IsGreeting = line => line.StartsWith("* OK", StringComparison.OrdinalIgnoreCase)
            || line.StartsWith("* PREAUTH", StringComparison.OrdinalIgnoreCase)
            || line.StartsWith("* BYE", StringComparison.OrdinalIgnoreCase),
        ChooseTls = TlsPolicy.ForImap,
    };

    private ConnectionProtocol()
    {
    }

    public required string Name { get; init; }

    /// <summary>How messages outside the dialog call the server: "mail server", "IMAP server".</summary>
    public required string ServerNoun { get; init; }

    /// <summary>The record whose settings these are: "server" (a mail server), "account" (an email account).</summary>
    public required string RecordNoun { get; init; }

    public required string HostField { get; init; }
    public required string PortField { get; init; }
    public required string UsernameField { get; init; }
    public required string PasswordField { get; init; }
    public required string TlsField { get; init; }
    public required string HostLabel { get; init; }
    public required string PortLabel { get; init; }
    public required string UsernameLabel { get; init; }
    public required string PasswordLabel { get; init; }
    public required string TlsLabel { get; init; }

    /// <summary>The port on which this portal uses TLS on connect (465 / 993); every other port with TLS on uses STARTTLS.</summary>
    public required int ImplicitTlsPort { get; init; }

    /// <summary>The usual STARTTLS port, for hints.</summary>
    public required int StartTlsPort { get; init; }

    public required string PortAdvice { get; init; }

    /// <summary>The TLS mode for a port and the TLS toggle (<see cref="TlsPolicy"/>).</summary>
    public required Func<int, bool, SecureSocketOptions> ChooseTls { get; init; }

    /// <summary>True when a line a server sent first is this protocol's greeting (SMTP "220 …", IMAP "* OK …").</summary>
    public required Func<string, bool> IsGreeting { get; init; }

    [GeneratedRegex(@"^[2-5][0-9]{2}([ -]|$)")]
    private static partial Regex SmtpReply();
}
