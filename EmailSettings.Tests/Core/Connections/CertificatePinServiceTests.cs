using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.Connections;

public class CertificatePinServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private const string Fingerprint = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
    private CoreTestHost host = null!;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync(Provider);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Pinning_a_server_certificate_stores_the_normalized_fingerprint_for_later_edits()
    {
        var id = await CreateServerAsync();

        var result = await host.Get<CertificatePinService>(host.TenantA)
            .PinServerCertificateAsync(id, string.Join(':', Enumerable.Range(0, 32).Select(i => Fingerprint.Substring(i * 2, 2))).ToLowerInvariant());

        result.Succeeded.Should().BeTrue();
        var edit = await host.Get<MailServerService>(host.TenantA).GetForEditAsync(id);
        edit!.PinnedCertificateSha256.Should().Be(Fingerprint);
    }

    [Fact]
    public async Task Another_tenants_server_is_not_found_and_keeps_its_pin()
    {
        var id = await CreateServerAsync();

        var result = await host.Get<CertificatePinService>(host.TenantB).PinServerCertificateAsync(id, Fingerprint);

        result.Status.Should().Be(ResultStatus.NotFound);
        await using var db = await host.CreateDbContextAsync();
        (await db.MailServers.SingleAsync(s => s.Id == id)).PinnedCertificateSha256.Should().BeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCDEF")]
    [InlineData("ZZ23456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
    public async Task A_value_that_is_not_a_SHA256_fingerprint_is_a_field_error(string value)
    {
        var id = await CreateServerAsync();

        var result = await host.Get<CertificatePinService>(host.TenantA).PinServerCertificateAsync(id, value);

        result.Status.Should().Be(ResultStatus.Invalid);
        result.ErrorFor(nameof(MailServerInput.PinnedCertificateSha256)).Should().Be(CertificatePinService.InvalidFingerprintMessage);
    }

    [Fact]
    public async Task Pinning_an_account_certificate_is_limited_to_the_callers_tenant()
    {
        var serverId = await CreateServerAsync();
        var account = await host.Get<EmailAccountService>(host.TenantA).CreateAsync(new EmailAccountInput
        {
            EmailAddress = "support@example.com",
            DisplayName = "Support",
            MailServerId = serverId,
        });
        var id = account.Value!.Id;

        var fromB = await host.Get<CertificatePinService>(host.TenantB).PinAccountCertificateAsync(id, Fingerprint);
        var fromA = await host.Get<CertificatePinService>(host.TenantA).PinAccountCertificateAsync(id, Fingerprint);

        fromB.Status.Should().Be(ResultStatus.NotFound);
        fromA.Succeeded.Should().BeTrue();
        (await host.Get<EmailAccountService>(host.TenantA).GetForEditAsync(id))!.ImapPinnedCertificateSha256.Should().Be(Fingerprint);
    }

    [Fact]
    public async Task Only_tenant_admins_can_pin()
    {
        var id = await CreateServerAsync();

        var act = () => host.Get<CertificatePinService>(host.TenantA, isAdmin: false).PinServerCertificateAsync(id, Fingerprint);

        await act.Should().ThrowAsync<TenantAccessDeniedException>();
    }

    private async Task<int> CreateServerAsync()
    {
        var created = await host.Get<MailServerService>(host.TenantA).CreateAsync(new MailServerInput
        {
            Name = $"Server {Guid.NewGuid():N}",
            SmtpHost = "smtp.example.com",
        });
        return created.Value!.Id;
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class CertificatePinServiceTestsOnPostgres : CertificatePinServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
