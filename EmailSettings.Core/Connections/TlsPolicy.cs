using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// How every mail connection of the product (test, sync, send) chooses TLS and judges certificates,
/// so that all of them behave the same.
/// </summary>
public static class TlsPolicy
{
    public const int SmtpImplicitTlsPort = 465;
    public const int ImapImplicitTlsPort = 993;

    /// <summary>TLS on + 465: TLS on connect; TLS on + any other port: STARTTLS, required; TLS off: plain.</summary>
    public static SecureSocketOptions ForSmtp(int port, bool useTls) => !useTls
        ? SecureSocketOptions.None
        : port == SmtpImplicitTlsPort ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;

    /// <summary>TLS on + 993: TLS on connect; TLS on + any other port: STARTTLS, required; TLS off: plain.</summary>
    public static SecureSocketOptions ForImap(int port, bool useTls) => !useTls
        ? SecureSocketOptions.None
        : port == ImapImplicitTlsPort ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;

    public static string Describe(SecureSocketOptions options) => options switch
    {
        SecureSocketOptions.SslOnConnect => "TLS on connect",
        SecureSocketOptions.StartTls => "STARTTLS",
        SecureSocketOptions.None => "no encryption",
        _ => options.ToString(),
    };

    /// <summary>
    /// A validator that accepts certificates the system trusts, and otherwise exactly the pinned one (by SHA-256).
    /// The last certificate it was shown is kept in <see cref="CertificateCheck.Presented"/> so a refusal can say what was offered.
    /// </summary>
    public static CertificateCheck CreateCertificateCheck(string? pinnedSha256) => new(pinnedSha256);

    public static string Sha256Fingerprint(X509Certificate certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
}

/// <summary>Certificate validation for one connection: system trust, or the admin's pinned fingerprint.</summary>
public sealed class CertificateCheck(string? pinnedSha256)
{
    private readonly string? pinned = string.IsNullOrWhiteSpace(pinnedSha256) ? null : pinnedSha256.Trim().ToUpperInvariant();

    /// <summary>The certificate the server presented, when the system did not trust it.</summary>
    public CertificateInfo? Presented { get; private set; }
    public SslPolicyErrors Errors { get; private set; }

    /// <summary>True when the connection was accepted only because of the pin.</summary>
    public bool AcceptedByPin { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        Errors = errors;
        if (certificate is null)
        {
            return false;
        }
        var info = CertificateInfo.From(certificate);
        if (pinned is not null && string.Equals(info.Sha256, pinned, StringComparison.Ordinal))
        {
            AcceptedByPin = true;
            return true;
        }
        Presented = info;
        return false;
    }
}

/// <summary>What an admin needs to decide whether to trust a certificate.</summary>
public sealed record CertificateInfo(string Subject, string Issuer, DateTime NotBefore, DateTime NotAfter, string Sha256)
{
    public static CertificateInfo From(X509Certificate certificate)
    {
        using var c = new X509Certificate2(certificate);
        return new CertificateInfo(c.Subject, c.Issuer, c.NotBefore.ToUniversalTime(), c.NotAfter.ToUniversalTime(), TlsPolicy.Sha256Fingerprint(c));
    }
}
