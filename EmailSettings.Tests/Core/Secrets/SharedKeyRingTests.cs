using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.Secrets;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Tests.Core.Secrets;

/// <summary>The Data Protection key ring on PostgreSQL: one ring in the database for every node.</summary>
[Trait("Category", "Integration")]
public sealed class SharedKeyRingTests
{
    private const string Secret = "Imap-Secret-On-Node-A";

    private static SecretProtector Secrets(CoreTestHost node) => node.Services.GetRequiredService<SecretProtector>();

    private static async Task<List<string>> StoredKeysAsync(CoreTestHost node)
    {
        await using var db = await node.CreateDbContextAsync();
        return await db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync();
    }

    [Fact]
    public async Task A_password_protected_on_one_node_is_read_on_another_and_the_keys_live_only_in_the_database()
    {
        await using var nodeA = await CoreTestHost.CreateAsync(DatabaseProvider.Postgres);
        await using var nodeB = await CoreTestHost.JoinAsync(nodeA);

        var stored = Secrets(nodeA).Protect(SecretKind.ImapPassword, Secret);

        Secrets(nodeB).Unprotect(SecretKind.ImapPassword, stored).Should().Be(Secret);
        (await StoredKeysAsync(nodeA)).Should().ContainSingle("one key ring, one first key");
        Directory.Exists(Path.Combine(nodeA.Folder, "keys")).Should().BeFalse("no node keeps a key folder of its own");
        Directory.Exists(Path.Combine(nodeB.Folder, "keys")).Should().BeFalse();
    }

    [Fact]
    public async Task Nodes_starting_together_on_an_empty_key_ring_agree_on_one_key()
    {
        await using var first = await CoreTestHost.CreateAsync(DatabaseProvider.Postgres);
        await using (var db = await first.CreateDbContextAsync())
        {
            await db.DataProtectionKeys.ExecuteDeleteAsync();
        }

        var starting = Enumerable.Range(0, 3).Select(_ => CoreTestHost.JoinAsync(first)).ToList();
        var nodes = await Task.WhenAll(starting);
        try
        {
            (await StoredKeysAsync(first)).Should().ContainSingle("the first key is made by one node while the others wait");
            var stored = Secrets(nodes[0]).Protect(SecretKind.SmtpPassword, Secret);
            nodes.Skip(1).Select(n => Secrets(n).Unprotect(SecretKind.SmtpPassword, stored)).Should().AllBe(Secret);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Keys_an_install_kept_in_its_key_folder_are_imported_so_its_passwords_still_decrypt()
    {
        var folder = TempFolder.Create("emailsettings-oldkeys");
        try
        {
            // An install whose key ring was a folder (as every install before the key ring moved to the database).
            var oldRing = DataProtectionProvider.Create(new DirectoryInfo(folder), b => b.SetApplicationName(SecretProtector.ApplicationName));
            var stored = new SecretProtector(oldRing).Protect(SecretKind.ImapPassword, Secret);

            await using var node = await CoreTestHost.CreateAsync(DatabaseProvider.Postgres,
                new Dictionary<string, string?> { [DatabaseOptions.KeysPathKey] = folder });

            Secrets(node).Unprotect(SecretKind.ImapPassword, stored).Should().Be(Secret);
            (await StoredKeysAsync(node)).Should().ContainSingle().Which.Should().Contain("<key id=");
            node.Logs.AllText.Should().Contain("Imported 1 Data Protection keys");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task With_a_certificate_the_keys_are_encrypted_at_rest_and_only_nodes_with_it_can_read_them()
    {
        var folder = TempFolder.Create("emailsettings-keycert");
        try
        {
            var pfx = Path.Combine(folder, "keyring.pfx");
            WriteCertificate(pfx, "Pfx-Pass-1");
            var withCertificate = new Dictionary<string, string?>
            {
                [KeyRing.CertificatePathKey] = pfx,
                [KeyRing.CertificatePasswordKey] = "Pfx-Pass-1",
            };
            await using var nodeA = await CoreTestHost.CreateAsync(DatabaseProvider.Postgres, withCertificate);
            await using var nodeB = await CoreTestHost.JoinAsync(nodeA, withCertificate);
            await using var withoutIt = await CoreTestHost.JoinAsync(nodeA);

            var stored = Secrets(nodeA).Protect(SecretKind.ImapPassword, Secret);

            var key = (await StoredKeysAsync(nodeA)).Should().ContainSingle().Subject;
            key.Should().Contain("EncryptedData").And.NotContain("unencrypted form", "the master key is stored encrypted with the certificate");
            Secrets(nodeB).Unprotect(SecretKind.ImapPassword, stored).Should().Be(Secret);
            FluentActions.Invoking(() => Secrets(withoutIt).Unprotect(SecretKind.ImapPassword, stored))
                .Should().Throw<CryptographicException>("a reader of the table without the certificate learns nothing");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Theory]
    [InlineData("missing.pfx", null, "DataProtection:CertificatePath is \"missing.pfx\", but there is no such file.")]
    [InlineData("keyring.pfx", "wrong", "DataProtection:CertificatePath (\"keyring.pfx\") could not be opened as a PKCS#12 (.pfx) file: check the file and DataProtection:CertificatePassword.")]
    public void A_wrong_certificate_setting_stops_start_up_naming_the_key(string path, string? password, string message)
    {
        var folder = TempFolder.Create("emailsettings-keycert");
        try
        {
            WriteCertificate(Path.Combine(folder, "keyring.pfx"), "Pfx-Pass-1");
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = folder, DisableDefaults = true });
            builder.Configuration[KeyRing.CertificatePathKey] = path;
            builder.Configuration[KeyRing.CertificatePasswordKey] = password;

            var act = () => builder.AddEmailSettingsCore();

            act.Should().Throw<StartupConfigurationException>().Which.Message.Should().StartWith(message);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private static void WriteCertificate(string path, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=EmailSettings key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
    }
}

/// <summary>SQLite keeps its key folder: existing installs go on decrypting what they stored.</summary>
public sealed class SqliteKeyRingTests
{
    [Fact]
    public async Task On_sqlite_the_keys_stay_in_the_folder_beside_the_database()
    {
        await using var host = await CoreTestHost.CreateAsync();

        var stored = host.Services.GetRequiredService<SecretProtector>().Protect(SecretKind.SmtpPassword, "Smtp-Secret-1");

        Directory.GetFiles(Path.Combine(host.Folder, "keys"), "key-*.xml").Should().ContainSingle();
        await using var db = await host.CreateDbContextAsync();
        (await db.DataProtectionKeys.CountAsync()).Should().Be(0);
        host.Services.GetRequiredService<SecretProtector>().Unprotect(SecretKind.SmtpPassword, stored).Should().Be("Smtp-Secret-1");
    }
}
