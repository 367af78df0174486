using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.OAuth;

namespace EmailSettings.Core.MailServers;

/// <summary>An outbound SMTP server of a tenant.</summary>
public sealed class MailServer
{
    public const int DefaultPort = 587;

    public int Id { get; set; }
    public Guid TenantId { get; set; }
    public string Name { get; set; } = "";
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; } = DefaultPort;
    public string? SmtpUsername { get; set; }

    /// <summary>The SMTP password, encrypted with Data Protection; never plaintext.</summary>
    public string? SmtpPasswordProtected { get; set; }

    /// <summary>Password (with <see cref="SmtpPasswordProtected"/>) or OAuth2 (with the grant attached to this server).</summary>
    public SignInMethod SignInMethod { get; set; }

    /// <summary>The OAuth2 provider's configuration name when <see cref="SignInMethod"/> is OAuth2.</summary>
    public string? OAuthProvider { get; set; }

    public bool UseTls { get; set; } = true;
    public bool IsDefault { get; set; }

    /// <summary>SHA-256 fingerprint of a certificate the admin chose to trust although it is not trusted by the system.</summary>
    public string? PinnedCertificateSha256 { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public List<EmailAccount> Accounts { get; set; } = [];
}
