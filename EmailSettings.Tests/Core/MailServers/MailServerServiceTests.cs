using System.Text;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Core.EmailAccounts;
using EmailSettings.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.MailServers;

public class MailServerServiceTests : IAsyncLifetime
{
    private CoreTestHost host = null!;

    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync(Provider);

    public async Task DisposeAsync() => await host.DisposeAsync();

    private MailServerService ServersOfA => host.Get<MailServerService>(host.TenantA);

    internal static MailServerInput Valid(string name = "Production SMTP", string? password = "s3cret-Pa55!") => new()
    {
        Name = name,
        SmtpHost = "smtp.example.com",
        SmtpUsername = password is null ? null : "mailer@example.com",
        SmtpPassword = password,
    };

    [Fact]
    public void A_new_input_defaults_to_port_587_with_tls_on()
    {
        var input = new MailServerInput();
        input.SmtpPort.Should().Be(587);
        input.UseTls.Should().BeTrue();
    }

    [Fact]
    public async Task Creating_a_server_stores_it_trimmed_and_lists_it_without_its_password()
    {
        var input = Valid();
        input.Name = "  Production SMTP ";
        input.SmtpHost = " smtp.example.com ";

        var result = await ServersOfA.CreateAsync(input);

        result.Succeeded.Should().BeTrue();
        var listed = (await ServersOfA.ListAsync()).Should().ContainSingle().Subject;
        listed.Name.Should().Be("Production SMTP");
        listed.SmtpHost.Should().Be("smtp.example.com");
        listed.SmtpPort.Should().Be(587);
        listed.UseTls.Should().BeTrue();
        listed.HasPassword.Should().BeTrue();
        listed.SmtpUsername.Should().Be("mailer@example.com");
    }

    [Fact]
    public async Task The_first_server_of_a_tenant_becomes_its_default_and_later_ones_do_not()
    {
        var first = (await ServersOfA.CreateAsync(Valid("First"))).Value!;
        var second = (await ServersOfA.CreateAsync(Valid("Second"))).Value!;

        first.IsDefault.Should().BeTrue();
        second.IsDefault.Should().BeFalse();
    }

    [Fact]
    public async Task Marking_a_server_default_clears_the_previous_default()
    {
        var first = (await ServersOfA.CreateAsync(Valid("First"))).Value!;
        var second = (await ServersOfA.CreateAsync(Valid("Second"))).Value!;

        var result = await ServersOfA.SetDefaultAsync(second.Id);

        result.Succeeded.Should().BeTrue();
        var servers = await ServersOfA.ListAsync();
        servers.Single(s => s.Id == second.Id).IsDefault.Should().BeTrue();
        servers.Single(s => s.Id == first.Id).IsDefault.Should().BeFalse();
    }

    [Fact]
    public async Task Concurrent_make_default_calls_leave_exactly_one_default()
    {
        var ids = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await ServersOfA.CreateAsync(Valid($"Server {i}"))).Value!.Id);
        }

        for (var round = 0; round < 5; round++)
        {
            // Each call in its own scope, as two browsers would do.
            var results = await Task.WhenAll(ids.Select(id => Task.Run(() => host.Get<MailServerService>(host.TenantA).SetDefaultAsync(id))));
            results.Should().OnlyContain(r => r.Succeeded);
            (await ServersOfA.ListAsync()).Count(s => s.IsDefault).Should().Be(1);
        }
    }

    [Fact]
    public async Task The_database_refuses_a_second_default_server_in_a_tenant()
    {
        await ServersOfA.CreateAsync(Valid("First"));
        await using var db = await host.CreateDbContextAsync();
        db.MailServers.Add(new MailServer { TenantId = host.TenantA, Name = "Rogue", SmtpHost = "x.example.com", IsDefault = true });

        var save = () => db.SaveChangesAsync();

        await save.Should().ThrowAsync<DbUpdateException>();
    }

    [Fact]
    public async Task A_blank_password_on_update_keeps_the_stored_password()
    {
        var created = (await ServersOfA.CreateAsync(Valid(password: "original-Pa55"))).Value!;
        var edit = (await ServersOfA.GetForEditAsync(created.Id))!;
        edit.SmtpPassword.Should().BeNull("the edit model never carries the stored password");
        edit.HasStoredPassword.Should().BeTrue();

        edit.Name = "Renamed";
        edit.SmtpPassword = "";
        (await ServersOfA.UpdateAsync(created.Id, edit)).Succeeded.Should().BeTrue();

        (await StoredPasswordAsync(created.Id)).Should().Be("original-Pa55");
    }

    [Fact]
    public async Task A_new_password_on_update_replaces_the_stored_one()
    {
        var created = (await ServersOfA.CreateAsync(Valid(password: "original-Pa55"))).Value!;
        var edit = (await ServersOfA.GetForEditAsync(created.Id))!;
        edit.SmtpPassword = "replacement-Pa55";

        (await ServersOfA.UpdateAsync(created.Id, edit)).Succeeded.Should().BeTrue();

        (await StoredPasswordAsync(created.Id)).Should().Be("replacement-Pa55");
    }

    [Fact]
    public async Task Clearing_the_username_removes_the_stored_password()
    {
        var created = (await ServersOfA.CreateAsync(Valid())).Value!;
        var edit = (await ServersOfA.GetForEditAsync(created.Id))!;
        edit.SmtpUsername = "  ";

        var updated = (await ServersOfA.UpdateAsync(created.Id, edit)).Value!;

        updated.HasPassword.Should().BeFalse();
        updated.SmtpUsername.Should().BeNull();
        await using var db = await host.CreateDbContextAsync();
        (await db.MailServers.SingleAsync(s => s.Id == created.Id)).SmtpPasswordProtected.Should().BeNull();
    }

    [Fact]
    public async Task The_plaintext_password_appears_nowhere_in_the_database_files()
    {
        const string password = "Very-Distinct-Password-4711";
        var created = (await ServersOfA.CreateAsync(Valid(password: password))).Value!;
        await using (var db = await host.CreateDbContextAsync())
        {
            (await db.MailServers.SingleAsync(s => s.Id == created.Id)).SmtpPasswordProtected.Should().NotBeNullOrEmpty();
        }

        foreach (var file in Directory.GetFiles(host.Folder, "test.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Contains(bytes, Encoding.UTF8.GetBytes(password)).Should().BeFalse($"{Path.GetFileName(file)} must not hold the password");
            Contains(bytes, Encoding.Unicode.GetBytes(password)).Should().BeFalse();
        }
    }

    [Fact]
    public async Task A_new_data_protection_provider_over_the_same_key_folder_decrypts_stored_passwords()
    {
        var created = (await ServersOfA.CreateAsync(Valid(password: "survives-restart"))).Value!;
        string protectedValue;
        await using (var db = await host.CreateDbContextAsync())
        {
            protectedValue = (await db.MailServers.SingleAsync(s => s.Id == created.Id)).SmtpPasswordProtected!;
        }

        var keys = Path.Combine(host.Folder, "keys");
        Directory.GetFiles(keys, "key-*.xml").Should().NotBeEmpty("the key ring is persisted beside the database");
        var fresh = new SecretProtector(DataProtectionProvider.Create(
            new DirectoryInfo(keys), b => b.SetApplicationName(SecretProtector.ApplicationName)));

        fresh.Unprotect(SecretKind.SmtpPassword, protectedValue).Should().Be("survives-restart");
        var asOtherKind = () => fresh.Unprotect(SecretKind.ImapPassword, protectedValue);
        asOtherKind.Should().Throw<System.Security.Cryptography.CryptographicException>("each secret kind has its own purpose");
    }

    [Fact]
    public async Task Deleting_a_server_unlinks_exactly_its_accounts_and_reports_how_many()
    {
        var doomed = (await ServersOfA.CreateAsync(Valid("Doomed"))).Value!;
        var kept = (await ServersOfA.CreateAsync(Valid("Kept"))).Value!;
        var accounts = host.GetForA<EmailAccountService>();
        var a1 = (await accounts.CreateAsync(EmailAccountServiceTests.Valid("one@example.com", doomed.Id))).Value!;
        var a2 = (await accounts.CreateAsync(EmailAccountServiceTests.Valid("two@example.com", doomed.Id))).Value!;
        var a3 = (await accounts.CreateAsync(EmailAccountServiceTests.Valid("three@example.com", kept.Id))).Value!;

        var result = await ServersOfA.DeleteAsync(doomed.Id);

        result.Succeeded.Should().BeTrue();
        result.Value!.AffectedAccounts.Should().Be(2);
        result.Value.Name.Should().Be("Doomed");
        var listed = await accounts.ListAsync();
        listed.Should().HaveCount(3, "deleting a server keeps its accounts");
        listed.Single(a => a.Id == a1.Id).MailServerId.Should().BeNull();
        listed.Single(a => a.Id == a2.Id).MailServerId.Should().BeNull();
        listed.Single(a => a.Id == a3.Id).MailServerId.Should().Be(kept.Id);
        (await ServersOfA.ListAsync()).Should().ContainSingle(s => s.Id == kept.Id);
    }

    [Theory]
    [InlineData("", "smtp.example.com", 587, nameof(MailServerInput.Name), "Server Name is required.")]
    [InlineData("   ", "smtp.example.com", 587, nameof(MailServerInput.Name), "Server Name is required.")]
    [InlineData("x", "", 587, nameof(MailServerInput.SmtpHost), "SMTP Host is required.")]
    [InlineData("x", "smtp.example.com:587", 587, nameof(MailServerInput.SmtpHost), "Enter the host name without a port; put the port in SMTP Port.")]
    [InlineData("x", "http://host", 587, nameof(MailServerInput.SmtpHost), "Enter only the host name (for example smtp.example.com), without \"http://\".")]
    [InlineData("x", "smtp example.com", 587, nameof(MailServerInput.SmtpHost), "SMTP Host cannot contain spaces.")]
    [InlineData("x", "smtp.example.com", 0, nameof(MailServerInput.SmtpPort), "SMTP Port must be a number between 1 and 65535.")]
    [InlineData("x", "smtp.example.com", 70000, nameof(MailServerInput.SmtpPort), "SMTP Port must be a number between 1 and 65535.")]
    public async Task Invalid_input_is_refused_with_a_message_next_to_the_field(string name, string host, int port, string field, string message)
    {
        var input = Valid();
        input.Name = name;
        input.SmtpHost = host;
        input.SmtpPort = port;

        var result = await ServersOfA.CreateAsync(input);

        result.Status.Should().Be(ResultStatus.Invalid);
        result.ErrorFor(field).Should().Be(message);
        (await ServersOfA.ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Names_and_hosts_that_are_too_long_are_refused()
    {
        var input = Valid();
        input.Name = new string('n', 101);
        input.SmtpHost = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));

        var result = await ServersOfA.CreateAsync(input);

        result.ErrorFor(nameof(MailServerInput.Name)).Should().Be("Server Name must be at most 100 characters.");
        result.ErrorFor(nameof(MailServerInput.SmtpHost)).Should().Be("SMTP Host must be at most 253 characters.");
    }

    [Theory]
    [InlineData("smtp.example.com")]
    [InlineData("localhost")]
    [InlineData("192.168.1.20")]
    [InlineData("::1")]
    [InlineData("mail-1.internal_zone.example")]
    [InlineData("bücher.example")]
    public async Task Host_names_and_ip_addresses_are_accepted(string host)
    {
        var input = Valid();
        input.SmtpHost = host;

        (await ServersOfA.CreateAsync(input)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task A_server_of_another_tenant_behaves_as_not_found_and_stays_unchanged()
    {
        var ofA = (await ServersOfA.CreateAsync(Valid("A's server"))).Value!;
        var serversOfB = host.Get<MailServerService>(host.TenantB);

        (await serversOfB.GetAsync(ofA.Id)).Should().BeNull();
        (await serversOfB.GetForEditAsync(ofA.Id)).Should().BeNull();
        (await serversOfB.ListAsync()).Should().BeEmpty();
        (await serversOfB.UpdateAsync(ofA.Id, Valid("Hijacked"))).Status.Should().Be(ResultStatus.NotFound);
        (await serversOfB.SetDefaultAsync(ofA.Id)).Status.Should().Be(ResultStatus.NotFound);
        (await serversOfB.DeleteAsync(ofA.Id)).Status.Should().Be(ResultStatus.NotFound);

        var after = (await ServersOfA.GetAsync(ofA.Id))!;
        after.Should().BeEquivalentTo(ofA);
    }

    [Fact]
    public async Task A_caller_without_the_admin_role_or_without_a_tenant_is_refused()
    {
        var nonAdmin = host.Get<MailServerService>(host.TenantA, isAdmin: false);
        var anonymous = host.Scope(null).GetService(typeof(MailServerService)) as MailServerService;

        await FluentActions.Awaiting(() => nonAdmin.ListAsync()).Should().ThrowAsync<TenantAccessDeniedException>();
        await FluentActions.Awaiting(() => nonAdmin.CreateAsync(Valid())).Should().ThrowAsync<TenantAccessDeniedException>();
        await FluentActions.Awaiting(() => anonymous!.ListAsync()).Should().ThrowAsync<TenantAccessDeniedException>();
        (await ServersOfA.ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Port_and_tls_mismatches_give_a_hint_but_no_error()
    {
        var input = Valid();
        input.SmtpPort = 465;
        input.UseTls = false;

        input.PortTlsHint.Should().Contain("465");
        input.Validate().Should().BeEmpty();
        (await ServersOfA.CreateAsync(input)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Logs_of_creating_and_editing_a_server_never_contain_its_password()
    {
        const string password = "Log-Leak-Canary-991";
        var created = (await ServersOfA.CreateAsync(Valid(password: password))).Value!;
        var edit = (await ServersOfA.GetForEditAsync(created.Id))!;
        edit.SmtpPassword = password + "-2";
        await ServersOfA.UpdateAsync(created.Id, edit);

        host.Logs.Entries.Should().NotBeEmpty();
        host.Logs.AllText.Should().NotContain(password);
    }

    private async Task<string> StoredPasswordAsync(int serverId)
    {
        await using var db = await host.CreateDbContextAsync();
        var stored = await db.MailServers.SingleAsync(s => s.Id == serverId);
        return host.Services.GetService(typeof(SecretProtector)) is SecretProtector secrets
            ? secrets.Unprotect(SecretKind.SmtpPassword, stored.SmtpPasswordProtected!)
            : throw new InvalidOperationException("SecretProtector is not registered");
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class MailServerServiceTestsOnPostgres : MailServerServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
