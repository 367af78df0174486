using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Secrets;

/// <summary>
/// The Data Protection key ring that encrypts the stored SMTP and IMAP passwords, under one application name
/// (<see cref="SecretProtector.ApplicationName"/>). SQLite: a folder beside the database file, as always. PostgreSQL:
/// the <c>DataProtectionKeys</c> table, so a password saved through one node is read by every other. With
/// <c>DataProtection:CertificatePath</c> the keys are encrypted at rest with that certificate.
/// </summary>
public static class KeyRing
{
    public const string CertificatePathKey = "DataProtection:CertificatePath";
    public const string CertificatePasswordKey = "DataProtection:CertificatePassword";

    private static readonly LeaseKey SetupLease = new("data-protection-key-ring", 0);

    internal static void AddKeyRing(this IHostApplicationBuilder builder, DatabaseOptions database)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(SecretProtector.ApplicationName);
        if (database.Provider == DatabaseProvider.Postgres)
        {
            dataProtection.PersistKeysToDbContext<EmailSettingsDbContext>();
        }
        else
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(database.KeysPath));
        }
        if (LoadCertificate(builder.Configuration, builder.Environment.ContentRootPath) is { } certificate)
        {
            // Protect: new keys are written encrypted. Unprotect: reading them back does not need the certificate in an
            // operating-system store (there is none to rely on in a Linux container).
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
    }

    /// <summary>The PKCS#12 certificate <c>DataProtection:CertificatePath</c> names, or null; a wrong one stops start-up naming the key.</summary>
    internal static X509Certificate2? LoadCertificate(IConfiguration configuration, string contentRoot)
    {
        var path = configuration[CertificatePathKey];
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }
        var file = Path.GetFullPath(path, contentRoot);
        if (!File.Exists(file))
        {
            throw new StartupConfigurationException($"{CertificatePathKey} is \"{path}\", but there is no such file. Point it at a PKCS#12 (.pfx) file with a private key.");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(file, configuration[CertificatePasswordKey]);
        }
        catch (CryptographicException ex)
        {
            throw new StartupConfigurationException(
                $"{CertificatePathKey} (\"{path}\") could not be opened as a PKCS#12 (.pfx) file: check the file and {CertificatePasswordKey}.", ex);
        }
        if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
        {
            certificate.Dispose();
            throw new StartupConfigurationException(
                $"{CertificatePathKey} (\"{path}\") holds no RSA private key: the key ring could not be read back. Use a .pfx with its RSA private key.");
        }
        return certificate;
    }

    /// <summary>
    /// PostgreSQL: makes sure the shared key ring has a usable key before the node serves anything, one node at a time
    /// (under a lease), so nodes starting together on an empty database agree on one first key instead of each making
    /// its own. Keys an install kept in <c>DataProtection:KeysPath</c> before its key ring moved to the database are
    /// imported first, so its stored passwords keep decrypting.
    /// </summary>
    internal static async Task EnsureSharedKeyRingAsync(IServiceProvider services, DatabaseOptions database, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyRing));
        var keyManager = services.GetRequiredService<IKeyManager>();
        await using (await services.GetRequiredService<IClusterLeases>().AcquireAsync(SetupLease, ct))
        {
            var keys = keyManager.GetAllKeys();
            if (keys.Count == 0 && await ImportFolderKeysAsync(services, database.KeysPath, ct) is > 0 and var imported)
            {
                logger.LogInformation("Imported {Count} Data Protection keys from {Folder} into the database", imported, database.KeysPath);
                keys = keyManager.GetAllKeys();
            }
            var now = DateTimeOffset.UtcNow;
            if (!keys.Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
            {
                var lifetime = services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime;
                var key = keyManager.CreateNewKey(now, now + lifetime);
                logger.LogInformation("Created the shared Data Protection key {KeyId}, valid until {Expiration:u}", key.KeyId, key.ExpirationDate);
            }
        }
    }

    private static async Task<int> ImportFolderKeysAsync(IServiceProvider services, string folder, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            return 0;
        }
        var files = Directory.GetFiles(folder, "key-*.xml");
        if (files.Length == 0)
        {
            return 0;
        }
        await using var db = await services.GetRequiredService<IDbContextFactory<EmailSettingsDbContext>>().CreateDbContextAsync(ct);
        foreach (var file in files)
        {
            db.DataProtectionKeys.Add(new DataProtectionKey
            {
                FriendlyName = Path.GetFileNameWithoutExtension(file),
                Xml = await File.ReadAllTextAsync(file, ct),
            });
        }
        await db.SaveChangesAsync(ct);
        return files.Length;
    }
}
