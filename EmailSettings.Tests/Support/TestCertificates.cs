using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EmailSettings.Tests.Support;

/// <summary>
/// Self-signed server certificates for the in-test mail servers.
/// </summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> SharedLocalhostCertificate =
        new(() => CreateSelfSigned(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// One process-wide "localhost" certificate, created on first use and shared by the test servers when no
    /// certificate is passed (RSA key generation can take ~0.5 s on a slow VM). Do not dispose it.
    /// </summary>
    public static X509Certificate2 SharedLocalhost => SharedLocalhostCertificate.Value;

    /// <summary>
    /// Creates an RSA 2048 self-signed server certificate (SAN: DNS localhost, IP 127.0.0.1),
    /// valid from yesterday for one year. The certificate is round-tripped through PKCS#12 so the
    /// private key is usable by <see cref="SslStream"/> on Linux and exportable (for PEM files).
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string commonName = "localhost")
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN={commonName}"),
            rsa,
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        if (!string.Equals(commonName, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            san.AddDnsName(commonName);
        }
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication") }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        // CreateSelfSigned returns a certificate whose key is bound to an ephemeral handle; exporting to
        // PKCS#12 and re-importing gives a certificate that SslStream can use as a server certificate.
        var pfx = ephemeral.Export(X509ContentType.Pfx);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>SHA-256 fingerprint of the certificate, uppercase hex without separators.</summary>
    public static string Sha256Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpperInvariant();
    }

    /// <summary>SHA-256 fingerprint of any certificate (e.g. the one a validation callback receives).</summary>
    public static string Sha256Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>
    /// A validation callback (usable as MailKit's <c>ServerCertificateValidationCallback</c>) that accepts
    /// exactly the certificate with the given SHA-256 fingerprint and nothing else.
    /// </summary>
    public static RemoteCertificateValidationCallback AcceptOnly(string sha256Fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(sha256Fingerprint);
        return (_, certificate, _, _) =>
            certificate is not null
            && string.Equals(Sha256Fingerprint(certificate), sha256Fingerprint, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Certificate as a PEM string ("BEGIN CERTIFICATE").</summary>
    public static string ExportCertificatePem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.ExportCertificatePem();
    }

    /// <summary>Private key as an unencrypted PKCS#8 PEM string ("BEGIN PRIVATE KEY").</summary>
    public static string ExportPrivateKeyPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("The certificate has no RSA private key.");
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>
    /// Writes the certificate and its private key as PEM files (e.g. for Dovecot's ssl_cert / ssl_key).
    /// The key file gets mode 0600 on Unix.
    /// </summary>
    public static void WritePemFiles(X509Certificate2 certificate, string certificatePath, string privateKeyPath)
    {
        File.WriteAllText(certificatePath, ExportCertificatePem(certificate));
        File.WriteAllText(privateKeyPath, ExportPrivateKeyPem(certificate));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
