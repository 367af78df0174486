using System.Collections.Concurrent;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Core.MailServers;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.EmailAccounts;

public class EmailAccountServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private readonly RecordingListener listener = new();
    private CoreTestHost host = null!;
    private int serverOfA;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider, b => b.Services.AddSingleton<IEmailAccountChangeListener>(listener));
        serverOfA = (await host.GetForA<MailServerService>().CreateAsync(MailServerServiceTests.Valid())).Value!.Id;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    private EmailAccountService AccountsOfA => host.Get<EmailAccountService>(host.TenantA);

    internal static EmailAccountInput Valid(string email, int? serverId, bool withImap = false) => new()
    {
        EmailAddress = email,
        DisplayName = "Support Inbox",
        MailServerId = serverId,
        ImapHost = withImap ? "imap.example.com" : null,
        ImapUsername = withImap ? email : null,
        ImapPassword = withImap ? "imap-Pa55-word" : null,
    };

    [Fact]
    public void A_new_input_defaults_to_imap_port_993_tls_on_and_not_default()
    {
        var input = new EmailAccountInput();
        input.ImapPort.Should().Be(993);
        input.ImapUseTls.Should().BeTrue();
        input.IsDefault.Should().BeFalse();
    }

    [Fact]
    public async Task An_account_cannot_be_created_before_the_tenant_has_a_mail_server()
    {
        var accountsOfB = host.Get<EmailAccountService>(host.TenantB);

        var result = await accountsOfB.CreateAsync(Valid("support@example.com", serverId: null));

        result.Status.Should().Be(ResultStatus.Invalid);
        result.Message.Should().Be(EmailAccountService.NoServerMessage);
        result.ErrorFor(nameof(EmailAccountInput.MailServerId)).Should().Be(EmailAccountService.NoServerMessage);
        (await accountsOfB.ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_account_is_created_linked_to_its_server_without_exposing_passwords()
    {
        var result = await AccountsOfA.CreateAsync(Valid("Support@Example.com", serverOfA, withImap: true));

        result.Succeeded.Should().BeTrue();
        var account = result.Value!;
        account.EmailAddress.Should().Be("Support@Example.com");
        account.MailServerName.Should().Be("Production SMTP");
        account.HasImapPassword.Should().BeTrue();
        account.IsImapConfigured.Should().BeTrue();
        account.IsDefault.Should().BeFalse();
        listener.Saved.Should().Contain((host.TenantA, account.Id));
    }

    [Fact]
    public async Task A_server_of_another_tenant_cannot_be_used()
    {
        var serverOfB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(MailServerServiceTests.Valid("B's"))).Value!.Id;

        var result = await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfB));

        result.ErrorFor(nameof(EmailAccountInput.MailServerId)).Should().Be(EmailAccountService.UnknownServerMessage);
    }

    [Fact]
    public async Task A_missing_server_selection_is_reported_on_the_field()
    {
        var result = await AccountsOfA.CreateAsync(Valid("support@example.com", serverId: null));

        result.ErrorFor(nameof(EmailAccountInput.MailServerId)).Should().Be("Select the mail server to send through.");
    }

    [Theory]
    [InlineData("", "Email Address is required.")]
    [InlineData("not-an-email", "Enter a valid email address, such as support@example.com.")]
    [InlineData("two@@example.com", "Enter a valid email address, such as support@example.com.")]
    [InlineData("user@nodot", "Enter a valid email address, such as support@example.com.")]
    [InlineData("with space@example.com", "Enter a valid email address, such as support@example.com.")]
    public async Task Invalid_email_addresses_are_refused(string email, string message)
    {
        var result = await AccountsOfA.CreateAsync(Valid(email, serverOfA));

        result.ErrorFor(nameof(EmailAccountInput.EmailAddress)).Should().Be(message);
    }

    [Fact]
    public async Task Display_name_is_required_and_at_most_100_characters()
    {
        var missing = Valid("a@example.com", serverOfA);
        missing.DisplayName = " ";
        var tooLong = Valid("b@example.com", serverOfA);
        tooLong.DisplayName = new string('d', 101);

        (await AccountsOfA.CreateAsync(missing)).ErrorFor(nameof(EmailAccountInput.DisplayName)).Should().Be("Display Name is required.");
        (await AccountsOfA.CreateAsync(tooLong)).ErrorFor(nameof(EmailAccountInput.DisplayName)).Should().Be("Display Name must be at most 100 characters.");
    }

    [Fact]
    public async Task An_address_differing_only_in_case_is_a_duplicate_within_the_tenant_but_not_across_tenants()
    {
        (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA))).Succeeded.Should().BeTrue();

        var duplicate = await AccountsOfA.CreateAsync(Valid("SUPPORT@Example.COM", serverOfA));

        duplicate.ErrorFor(nameof(EmailAccountInput.EmailAddress)).Should().Be(EmailAccountService.DuplicateMessage);
        var serverOfB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(MailServerServiceTests.Valid())).Value!.Id;
        (await host.Get<EmailAccountService>(host.TenantB).CreateAsync(Valid("support@example.com", serverOfB))).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task The_email_address_cannot_change_after_creation()
    {
        var created = (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA))).Value!;
        var edit = (await AccountsOfA.GetForEditAsync(created.Id))!;
        edit.EmailAddress = "other@example.com";

        var result = await AccountsOfA.UpdateAsync(created.Id, edit);

        result.ErrorFor(nameof(EmailAccountInput.EmailAddress)).Should().Be(EmailAccountService.AddressLockedMessage);
        (await AccountsOfA.GetAsync(created.Id))!.EmailAddress.Should().Be("support@example.com");
    }

    [Fact]
    public async Task Other_fields_including_the_server_are_editable()
    {
        var otherServer = (await host.GetForA<MailServerService>().CreateAsync(MailServerServiceTests.Valid("Backup SMTP"))).Value!.Id;
        var created = (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA))).Value!;
        var edit = (await AccountsOfA.GetForEditAsync(created.Id))!;
        edit.DisplayName = "Helpdesk";
        edit.MailServerId = otherServer;
        edit.IsDefault = true;

        var updated = (await AccountsOfA.UpdateAsync(created.Id, edit)).Value!;

        updated.DisplayName.Should().Be("Helpdesk");
        updated.MailServerName.Should().Be("Backup SMTP");
        updated.IsDefault.Should().BeTrue();
    }

    [Theory]
    [InlineData("imap.example.com", null, null, nameof(EmailAccountInput.ImapUsername), "IMAP Username is required to sync incoming email.")]
    [InlineData("imap.example.com", "user", null, nameof(EmailAccountInput.ImapPassword), "IMAP Password is required to sync incoming email.")]
    [InlineData(null, "user", "pw", nameof(EmailAccountInput.ImapHost), "IMAP Host is required.")]
    [InlineData("imaps://imap.example.com", "user", "pw", nameof(EmailAccountInput.ImapHost), "Enter only the host name (for example smtp.example.com), without \"imaps://\".")]
    public async Task Partial_imap_settings_ask_for_the_rest(string? imapHost, string? user, string? password, string field, string message)
    {
        var input = Valid("support@example.com", serverOfA);
        input.ImapHost = imapHost;
        input.ImapUsername = user;
        input.ImapPassword = password;

        (await AccountsOfA.CreateAsync(input)).ErrorFor(field).Should().Be(message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public async Task Imap_port_must_be_in_range(int port)
    {
        var input = Valid("support@example.com", serverOfA, withImap: true);
        input.ImapPort = port;

        (await AccountsOfA.CreateAsync(input)).ErrorFor(nameof(EmailAccountInput.ImapPort))
            .Should().Be("IMAP Port must be a number between 1 and 65535.");
    }

    [Fact]
    public async Task A_blank_imap_password_on_update_keeps_the_stored_one()
    {
        var created = (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA, withImap: true))).Value!;
        var edit = (await AccountsOfA.GetForEditAsync(created.Id))!;
        edit.ImapPassword.Should().BeNull();
        edit.HasStoredImapPassword.Should().BeTrue();
        edit.ImapPort = 143;

        (await AccountsOfA.UpdateAsync(created.Id, edit)).Succeeded.Should().BeTrue();

        await using var db = await host.CreateDbContextAsync();
        var stored = await db.EmailAccounts.SingleAsync(a => a.Id == created.Id);
        host.Services.GetRequiredService<SecretProtector>().Unprotect(SecretKind.ImapPassword, stored.ImapPasswordProtected!)
            .Should().Be("imap-Pa55-word");
        stored.ImapPort.Should().Be(143);
    }

    [Fact]
    public async Task Creating_a_default_account_clears_the_previous_default()
    {
        var first = Valid("first@example.com", serverOfA);
        first.IsDefault = true;
        var second = Valid("second@example.com", serverOfA);
        second.IsDefault = true;
        var firstId = (await AccountsOfA.CreateAsync(first)).Value!.Id;

        var secondId = (await AccountsOfA.CreateAsync(second)).Value!.Id;

        var accounts = await AccountsOfA.ListAsync();
        accounts.Single(a => a.Id == secondId).IsDefault.Should().BeTrue();
        accounts.Single(a => a.Id == firstId).IsDefault.Should().BeFalse();
    }

    [Fact]
    public async Task Concurrent_make_default_calls_leave_exactly_one_default_account()
    {
        var ids = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await AccountsOfA.CreateAsync(Valid($"user{i}@example.com", serverOfA))).Value!.Id);
        }

        for (var round = 0; round < 5; round++)
        {
            var results = await Task.WhenAll(ids.Select(id => Task.Run(() => host.Get<EmailAccountService>(host.TenantA).SetDefaultAsync(id))));
            results.Should().OnlyContain(r => r.Succeeded);
            (await AccountsOfA.ListAsync()).Count(a => a.IsDefault).Should().Be(1);
        }
    }

    [Fact]
    public async Task Defaults_of_two_tenants_do_not_affect_each_other()
    {
        var ofA = Valid("a@example.com", serverOfA);
        ofA.IsDefault = true;
        var idA = (await AccountsOfA.CreateAsync(ofA)).Value!.Id;
        var serverOfB = (await host.Get<MailServerService>(host.TenantB).CreateAsync(MailServerServiceTests.Valid())).Value!.Id;
        var ofB = Valid("b@example.com", serverOfB);
        ofB.IsDefault = true;

        (await host.Get<EmailAccountService>(host.TenantB).CreateAsync(ofB)).Value!.IsDefault.Should().BeTrue();

        (await AccountsOfA.GetAsync(idA))!.IsDefault.Should().BeTrue();
    }

    [Fact]
    public async Task Deleting_an_account_tells_the_listeners_and_removes_it()
    {
        var created = (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA))).Value!;

        var result = await AccountsOfA.DeleteAsync(created.Id);

        result.Succeeded.Should().BeTrue();
        listener.Deleted.Should().Contain((host.TenantA, created.Id));
        (await AccountsOfA.ListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_account_of_another_tenant_behaves_as_not_found_and_stays_unchanged()
    {
        var ofA = (await AccountsOfA.CreateAsync(Valid("support@example.com", serverOfA, withImap: true))).Value!;
        var accountsOfB = host.Get<EmailAccountService>(host.TenantB);

        (await accountsOfB.GetAsync(ofA.Id)).Should().BeNull();
        (await accountsOfB.GetForEditAsync(ofA.Id)).Should().BeNull();
        (await accountsOfB.ListAsync()).Should().BeEmpty();
        (await accountsOfB.UpdateAsync(ofA.Id, Valid("support@example.com", serverOfA))).Status.Should().Be(ResultStatus.NotFound);
        (await accountsOfB.SetDefaultAsync(ofA.Id)).Status.Should().Be(ResultStatus.NotFound);
        (await accountsOfB.DeleteAsync(ofA.Id)).Status.Should().Be(ResultStatus.NotFound);

        listener.Deleted.Should().BeEmpty();
        (await AccountsOfA.GetAsync(ofA.Id)).Should().BeEquivalentTo(ofA);
    }

    [Fact]
    public async Task A_caller_without_the_admin_role_is_refused()
    {
        var nonAdmin = host.Get<EmailAccountService>(host.TenantA, isAdmin: false);

        await FluentActions.Awaiting(() => nonAdmin.ListAsync()).Should().ThrowAsync<TenantAccessDeniedException>();
        await FluentActions.Awaiting(() => nonAdmin.CreateAsync(Valid("x@example.com", serverOfA))).Should().ThrowAsync<TenantAccessDeniedException>();
        await FluentActions.Awaiting(() => nonAdmin.DeleteAsync(1)).Should().ThrowAsync<TenantAccessDeniedException>();
    }

    private sealed class RecordingListener : IEmailAccountChangeListener
    {
        public ConcurrentBag<(Guid, int)> Saved { get; } = [];
        public ConcurrentBag<(Guid, int)> Deleted { get; } = [];

        public Task AccountSavedAsync(Guid tenantId, int accountId, CancellationToken ct)
        {
            Saved.Add((tenantId, accountId));
            return Task.CompletedTask;
        }

        public Task AccountDeletedAsync(Guid tenantId, int accountId, CancellationToken ct)
        {
            Deleted.Add((tenantId, accountId));
            return Task.CompletedTask;
        }
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class EmailAccountServiceTestsOnPostgres : EmailAccountServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
