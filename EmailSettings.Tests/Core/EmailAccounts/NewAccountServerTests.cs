using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.EmailAccounts;

/// <summary>Which mail server the Add Email Account dialog preselects: a Core rule, checked on the tenant's real server list.</summary>
public sealed class NewAccountServerTests : IAsyncLifetime
{
    private CoreTestHost host = null!;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    private MailServerService Servers => host.GetForA<MailServerService>();

    private async Task<MailServerSummary> AddAsync(string name) =>
        (await Servers.CreateAsync(new MailServerInput { Name = name, SmtpHost = "smtp.example.com" })).Value!;

    private async Task<int?> PreselectedAsync() => EmailAccountInput.ForNewAccount(await Servers.ListAsync()).MailServerId;

    [Fact]
    public async Task Without_servers_nothing_is_preselected() =>
        (await PreselectedAsync()).Should().BeNull();

    [Fact]
    public async Task The_default_server_is_preselected_even_when_another_sorts_first()
    {
        await AddAsync("Zulu relay");
        var alpha = await AddAsync("Alpha relay");
        (await PreselectedAsync()).Should().NotBe(alpha.Id, "the first server added is the default");

        (await Servers.SetDefaultAsync(alpha.Id)).Succeeded.Should().BeTrue();
        (await PreselectedAsync()).Should().Be(alpha.Id);
    }

    [Fact]
    public async Task After_the_default_is_deleted_the_only_server_left_is_preselected()
    {
        var first = await AddAsync("Production SMTP");
        var second = await AddAsync("Backup relay");
        (await Servers.DeleteAsync(first.Id)).Succeeded.Should().BeTrue();

        (await Servers.ListAsync()).Should().ContainSingle().Which.IsDefault.Should().BeFalse("deleting the default names no new one");
        (await PreselectedAsync()).Should().Be(second.Id);
    }

    [Fact]
    public async Task After_the_default_is_deleted_several_servers_leave_the_choice_to_the_admin()
    {
        var first = await AddAsync("Production SMTP");
        await AddAsync("Backup relay");
        await AddAsync("Marketing relay");
        (await Servers.DeleteAsync(first.Id)).Succeeded.Should().BeTrue();

        (await PreselectedAsync()).Should().BeNull("no server is the default, and guessing one by its name could send from the wrong one");
        EmailAccountInput.ForNewAccount(await Servers.ListAsync()).Validate(isCreate: true)
            .Should().ContainKey(nameof(EmailAccountInput.MailServerId), "saving without a choice asks for one");
    }

    [Fact]
    public void Everything_else_starts_with_the_spec_defaults()
    {
        var input = EmailAccountInput.ForNewAccount([]);
        input.Should().BeEquivalentTo(new EmailAccountInput(), "only the server is chosen for the admin");
        input.ImapPort.Should().Be(993);
        input.ImapUseTls.Should().BeTrue();
        input.IsDefault.Should().BeFalse();
    }
}
