using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A throw-away certificate authority for test servers that must look like real hosts (autoconfig.example.test):
/// clients trust exactly this CA (X509ChainTrustMode.CustomRootTrust) and still check the host name, so nothing
/// in the client's validation is switched off.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private TestCertificateAuthority(X509Certificate2 root) => Root = root;

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Root { get; }

    public static TestCertificateAuthority Create(string name = "EmailSettings Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var root = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return new TestCertificateAuthority(X509CertificateLoader.LoadPkcs12(root.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable));
    }

    /// <summary>A server certificate for the given DNS names, signed by this CA, usable by Kestrel and SslStream.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> dnsNames)
    {
        var names = dnsNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names.ForEach(san.AddDnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        using var issued = request.Create(Root, now.AddHours(-1), now.AddDays(30), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A chain policy that trusts only this CA (no revocation: the CA publishes no CRL).</summary>
    public X509ChainPolicy TrustOnlyThisCa()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(Root);
        return policy;
    }

    public void Dispose() => Root.Dispose();
}
