using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using MailKit.Security;

namespace EmailSettings.Core.Autodetect;

public enum DetectionStatus
{
    /// <summary><see cref="MailSettingsDetection.Settings"/> holds a proposal.</summary>
    Found,

    /// <summary>The text is not an email address; <see cref="MailSettingsDetection.Message"/> says why.</summary>
    InvalidAddress,

    /// <summary>Every source answered and none had settings (or detection is turned off and no preset matched).</summary>
    NotFound,

    /// <summary>The time limit (Autodetect:Timeout) passed before any source had settings.</summary>
    TimedOut,
}

/// <summary>The answer of <see cref="MailSettingsDetector.DetectAsync"/>: a proposal, or a message saying why there is none.</summary>
public sealed record MailSettingsDetection(
    DetectionStatus Status,
    string Message,
    DetectedMailSettings? Settings,
    IReadOnlyList<DetectionStep> Steps)
{
    public bool Found => Status == DetectionStatus.Found && Settings is not null;

    /// <summary>What went wrong at the sources that failed (not those that simply had nothing), for a details list.</summary>
    public IEnumerable<string> Problems => Steps.Where(s => s.Outcome is StepOutcome.Failed or StepOutcome.TimedOut).Select(s => s.Message);
}

/// <summary>Proposed settings for one address, mapped onto the fields of the account and server dialogs.</summary>
public sealed record DetectedMailSettings(
    string EmailAddress,
    string Domain,
    string? ProviderName,
    ProposedImapSettings? Imap,
    ProposedSmtpSettings? Smtp,
    SettingsSource Source,
    IReadOnlyList<string> Notes)
{
    /// <summary>True when the proposed servers accept only OAuth2: the dialog goes to the provider's sign-in instead of asking for a password.</summary>
    public bool OAuth2Required => Imap?.Authentication == ServerAuthentication.OAuth2 || Smtp?.Authentication == ServerAuthentication.OAuth2;

    /// <summary>The sign-in provider when the servers accept OAuth2 (required or offered); null when unknown or not offered.</summary>
    public OAuth2Provider? OAuth2Provider => Imap?.OAuth2Provider ?? Smtp?.OAuth2Provider;
}

/// <summary>Where a proposal came from, and whether its host names can be trusted.</summary>
/// <param name="Description">"Found in the Thunderbird database", "From example.com's autoconfig", "Built-in settings for Gmail", ...</param>
/// <param name="Verified">True for built-in presets and files fetched over HTTPS; false for plain HTTP and SRV records.</param>
/// <param name="LookupDomain">The domain that was looked up: the address's, or the domain of its MX host.</param>
/// <param name="MxHost">The MX host when the settings were found through it.</param>
/// <param name="Url">The file's URL for autoconfig and ISPDB results.</param>
public sealed record SettingsSource(
    SettingsSourceKind Kind,
    string Description,
    bool Verified,
    string LookupDomain,
    string? MxHost = null,
    Uri? Url = null)
{
    /// <summary>The description with "(unverified)" where the host names were not fetched over HTTPS.</summary>
    public string DisplayText => Verified ? Description : $"{Description} (unverified)";
}

public enum SettingsSourceKind
{
    BuiltInPreset,
    DomainAutoconfig,
    Ispdb,
    DnsSrv,
}

public enum OAuth2Provider
{
    Microsoft,
    Google,
}

/// <summary>How the server lets the account sign in.</summary>
public enum ServerAuthentication
{
    /// <summary>User name and password (or app password).</summary>
    Password,

    /// <summary>Only OAuth2 sign-in; a password is refused.</summary>
    OAuth2,

    /// <summary>Both a password and OAuth2 are accepted.</summary>
    PasswordOrOAuth2,

    /// <summary>No sign-in (for example an SMTP relay that trusts the client's address).</summary>
    None,
}

/// <summary>One proposed server in the dialogs' terms: host, port, the TLS toggle, the username for this address.</summary>
public abstract record ProposedServerSettings(
    string Host,
    int Port,
    bool UseTls,
    string? Username,
    ServerAuthentication Authentication,
    OAuth2Provider? OAuth2Provider)
{
    /// <summary>What port and toggle mean on the wire, as <see cref="TlsPolicy"/> decides it for the protocol.</summary>
    public abstract SecureSocketOptions Security { get; }

    /// <summary>"imap.example.com:993 (TLS on connect)".</summary>
    public string Summary => $"{Host}:{Port} ({TlsPolicy.Describe(Security)})";
}

/// <summary>IMAP settings for the Email Account dialog ("Use TLS/SSL": TLS on connect on 993, STARTTLS on other ports).</summary>
public sealed record ProposedImapSettings(
    string Host, int Port, bool UseTls, string? Username, ServerAuthentication Authentication, OAuth2Provider? OAuth2Provider)
    : ProposedServerSettings(Host, Port, UseTls, Username, Authentication, OAuth2Provider)
{
    public override SecureSocketOptions Security => TlsPolicy.ForImap(Port, UseTls);

    /// <summary>Writes host, port, TLS toggle and username into the dialog's input (the password stays as it is).</summary>
    public void ApplyTo(EmailAccountInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        (input.ImapHost, input.ImapPort, input.ImapUseTls, input.ImapUsername) = (Host, Port, UseTls, Username);
    }
}

/// <summary>SMTP settings for the Mail Server dialog ("Use TLS/STARTTLS": TLS on connect on 465, STARTTLS on other ports).</summary>
public sealed record ProposedSmtpSettings(
    string Host, int Port, bool UseTls, string? Username, ServerAuthentication Authentication, OAuth2Provider? OAuth2Provider)
    : ProposedServerSettings(Host, Port, UseTls, Username, Authentication, OAuth2Provider)
{
    public override SecureSocketOptions Security => TlsPolicy.ForSmtp(Port, UseTls);

    /// <summary>Writes host, port, TLS toggle and username into the dialog's input (name and password stay as they are).</summary>
    public void ApplyTo(MailServerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        (input.SmtpHost, input.SmtpPort, input.UseTls, input.SmtpUsername) = (Host, Port, UseTls, Username);
    }
}

public enum StepOutcome
{
    /// <summary>This source had settings (the first such step is the answer).</summary>
    Found,

    /// <summary>The source answered that it has nothing for this domain (404, no such host, no records).</summary>
    NotFound,

    /// <summary>The source answered with something unusable or broke (too large, malformed, redirect loop, DNS failure).</summary>
    Failed,

    /// <summary>No answer within its time limit.</summary>
    TimedOut,

    /// <summary>Not needed: a source earlier in the order had already answered, or there was nothing to look up.</summary>
    Skipped,
}

/// <summary>One lookup of a detection, in Thunderbird's order: what was asked, and what came of it.</summary>
/// <param name="Source">"Built-in presets", "https://autoconfig.example.com/mail/config-v1.1.xml", "MX example.com", "SRV example.com".</param>
/// <param name="Message">A sentence for the admin, e.g. "autoconfig.example.com: the file is larger than 128 KB; ignored."</param>
public sealed record DetectionStep(DetectionStepKind Kind, string Source, StepOutcome Outcome, string Message);

public enum DetectionStepKind
{
    BuiltInPreset,
    DomainAutoconfig,
    Ispdb,
    MxLookup,
    DnsSrv,
}
