using EmailSettings.Core.Common;
using EmailSettings.Core.OAuth;

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

    /// <summary>Password (default) or OAuth2 with <see cref="OAuthProvider"/>.</summary>
    public SignInMethod SignInMethod { get; set; }

    /// <summary>The configured provider's name when signing in with OAuth2.</summary>
    public string? OAuthProvider { get; set; }

    /// <summary>A completed sign-in of this dialog, attached when the dialog saves; null keeps the server's current one.</summary>
    public Guid? OAuthGrantId { get; set; }

    /// <summary>The sign-in the dialog shows: the saved one, or the one just completed (never a token).</summary>
    public OAuthGrantInfo? OAuthGrant { get; set; }

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
        if (SignInMethod == SignInMethod.OAuth2)
        {
            OAuthSignInRules.Check(errors, OAuthProvider, OAuthGrantId, OAuthGrant, SmtpUsername, nameof(SmtpUsername),
                $"{FieldLabels.SmtpUsername} is the mailbox that signs in with OAuth2 (usually the signed-in address).",
                nameof(OAuthProvider), nameof(OAuthGrantId));
        }
        else if (!string.IsNullOrEmpty(SmtpPassword) && string.IsNullOrWhiteSpace(SmtpUsername))
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

/// <summary>A server as the page lists it: no password, only whether one is stored; for OAuth2 its grant, never a token.</summary>
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
    DateTime UpdatedAt,
    SignInMethod SignInMethod = SignInMethod.Password,
    string? OAuthProvider = null,
    OAuthGrantInfo? OAuth = null)
{
    /// <summary>True when the server's OAuth2 grant died and an admin must sign in again.</summary>
    public bool ReconnectNeeded => SignInMethod == SignInMethod.OAuth2 && OAuth is { ReconnectNeeded: true };
}

/// <summary>What a delete did: how many accounts lost their outbound server.</summary>
public sealed record MailServerDeleted(int Id, string Name, int AffectedAccounts);
