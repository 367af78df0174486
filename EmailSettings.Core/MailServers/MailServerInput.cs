using EmailSettings.Core.Common;

namespace EmailSettings.Core.MailServers;

/// <summary>What the Add/Edit Mail Server dialog binds to. Never carries a stored password back out.</summary>
public sealed class MailServerInput
{
    public string Name { get; set; } = "";
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; } = MailServer.DefaultPort;
    public string? SmtpUsername { get; set; }

    /// <summary>A new password; blank on edit keeps the stored one.</summary>
    public string? SmtpPassword { get; set; }

    public bool UseTls { get; set; } = true;

    /// <summary>Set when the admin chose to trust a certificate shown by Test Connection.</summary>
    public string? PinnedCertificateSha256 { get; set; }

    /// <summary>True when editing a server that already has a stored password (read-only information).</summary>
    public bool HasStoredPassword { get; init; }

    /// <summary>A copy that keeps its values while the dialog's own input goes on changing (every member is a value).</summary>
    public MailServerInput Copy() => (MailServerInput)MemberwiseClone();

    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        Add(errors, nameof(Name), FieldRules.Required(Name, FieldLabels.ServerName)
            ?? FieldRules.MaxLength(Name.Trim(), FieldRules.NameMaxLength, FieldLabels.ServerName));
        Add(errors, nameof(SmtpHost), FieldRules.Host(SmtpHost, FieldLabels.SmtpHost, FieldLabels.SmtpPort));
        Add(errors, nameof(SmtpPort), FieldRules.Port(SmtpPort, FieldLabels.SmtpPort));
        Add(errors, nameof(SmtpUsername), FieldRules.MaxLength(SmtpUsername?.Trim(), FieldRules.UsernameMaxLength, FieldLabels.SmtpUsername));
        Add(errors, nameof(SmtpPassword), FieldRules.MaxLength(SmtpPassword, FieldRules.PasswordMaxLength, FieldLabels.SmtpPassword));
        if (!string.IsNullOrEmpty(SmtpPassword) && string.IsNullOrWhiteSpace(SmtpUsername))
        {
            errors.TryAdd(nameof(SmtpUsername), $"Enter the {FieldLabels.SmtpUsername} that goes with this password.");
        }
        return errors;
    }

    /// <summary>A hint (not an error) when port and TLS toggle look mismatched.</summary>
    public string? PortTlsHint => (SmtpPort, UseTls) switch
    {
        (465, false) => $"Port 465 normally expects TLS on connect: turn on {FieldLabels.UseTls}.",
        (25, true) => "Port 25 is usually plain SMTP; many servers on 25 still offer STARTTLS.",
        (587, false) => $"Port 587 normally uses STARTTLS: turn on {FieldLabels.UseTls} unless the server has no TLS.",
        _ => null,
    };

    private static void Add(Dictionary<string, string> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = message;
        }
    }
}

/// <summary>A server as the page lists it: no password, only whether one is stored.</summary>
public sealed record MailServerSummary(
    int Id,
    string Name,
    string SmtpHost,
    int SmtpPort,
    bool UseTls,
    string? SmtpUsername,
    bool HasPassword,
    bool IsDefault,
    int AccountCount,
    string? PinnedCertificateSha256,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>What a delete did: how many accounts lost their outbound server.</summary>
public sealed record MailServerDeleted(int Id, string Name, int AffectedAccounts);
