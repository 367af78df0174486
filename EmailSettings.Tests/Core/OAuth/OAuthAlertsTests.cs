using EmailSettings.Core.Alerts;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.OAuth;

/// <summary>
/// A dead grant is an account problem like a failing sync: AccountAlerts emails the tenant admins once through the
/// default server and tells open pages, and a Reconnect clears it with one "connected again" notice.
/// </summary>
public sealed class OAuthAlertsTests(OAuthWorld world) : IClassFixture<OAuthWorld>, IAsyncLifetime
{
    private SmtpTestServer smtp = null!;
    private SyncTestBed bed = null!;

    public async Task InitializeAsync()
    {
        smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(SendingSetup.SmtpUser, SendingSetup.SmtpPassword);
        bed = await world.BedAsync();
        await TestUsers.CreateAsync(bed.Host.Services, bed.Host.TenantA, "admin1@a.test", isTenantAdmin: true);
        await TestUsers.CreateAsync(bed.Host.Services, bed.Host.TenantA, "member@a.test", isTenantAdmin: false);
        var server = await bed.Host.AddServerAsync(bed.Host.TenantA, smtp);
        await bed.Host.AddAccountAsync(bed.Host.TenantA, server, "notices@a.test", "Notices", isDefault: true);
    }

    public async Task DisposeAsync()
    {
        await bed.DisposeAsync();
        await smtp.DisposeAsync();
    }

    private AccountAlerts Alerts => bed.Host.Services.GetRequiredService<AccountAlerts>();

    [Fact]
    public async Task A_dead_grant_is_announced_once_to_the_tenant_admins_and_a_reconnect_clears_it()
    {
        var account = await world.AddAccountAsync(bed);
        var heard = new List<AccountAlertEvent>();
        using var subscription = bed.Host.Services.GetRequiredService<AccountAlertNotifier>()
            .Subscribe(bed.Host.TenantA, e => { lock (heard) { heard.Add(e); } return Task.CompletedTask; });
        await world.Authority.RevokeUserAsync(account.User);

        (await bed.SyncAsync(account.AccountId)).ErrorKind.Should().Be(SyncErrorKind.ReconnectNeeded);
        (await bed.SyncAsync(account.AccountId)).ErrorKind.Should().Be(SyncErrorKind.ReconnectNeeded);
        (await bed.SyncAsync(account.AccountId)).ErrorKind.Should().Be(SyncErrorKind.ReconnectNeeded);
        await Alerts.DrainAsync();

        var name = $"OAuth {account.User}";
        smtp.ReceivedMessages.Should().ContainSingle("one notice, however often the sync finds the dead grant");
        var notice = smtp.ReceivedMessages[0];
        notice.Message.Subject.Should().Be($"Reconnect needed: {name}");
        notice.Message.To.Mailboxes.Select(m => m.Address).Should().Equal("admin1@a.test");
        notice.Message.TextBody.Should().Contain("Test IdP no longer accepts the sign-in").And.Contain("invalid_grant")
            .And.NotContain(account.RefreshToken).And.NotContain(account.AccessToken);
        var card = (await bed.Host.GetForA<EmailAccountService>().GetAsync(account.AccountId))!;
        card.ReconnectNeeded.Should().BeTrue();
        card.Problems.Should().ContainSingle().Which.Kind.Should().Be(AccountProblemKind.ReconnectNeeded,
            "a dead grant is not also announced as a failing sync");
        lock (heard)
        {
            heard.Should().ContainSingle().Which.Should().Match<AccountAlertEvent>(e =>
                e.AccountId == account.AccountId && e.Kind == AccountProblemKind.ReconnectNeeded && e.Change == AccountAlertChange.Raised);
        }

        var fresh = await world.AddPendingGrantAsync(bed, account.User, account.AccountId);
        var reconnected = await bed.Host.GetForA<EmailAccountService>().ReconnectAsync(account.AccountId, fresh);
        await Alerts.DrainAsync();

        reconnected.Succeeded.Should().BeTrue(reconnected.Message);
        reconnected.Value!.ReconnectNeeded.Should().BeFalse();
        reconnected.Value.Problems.Should().BeEmpty();
        smtp.ReceivedMessages.Select(m => m.Message.Subject).Should().Equal($"Reconnect needed: {name}", $"{name} is connected again");
        (await bed.SyncAsync(account.AccountId)).Succeeded.Should().BeTrue("the new grant signs in");
    }

    [Fact]
    public async Task A_mail_servers_dead_grant_shows_on_its_card_and_is_not_emailed_as_an_account_problem()
    {
        var account = await world.AddAccountAsync(bed);
        await world.AddServerGrantAsync(bed, account);
        await world.Authority.RevokeUserAsync(account.User);

        var sent = await bed.Host.GetForA<global::EmailSettings.Core.Sending.IEmailSender>()
            .SendAsync(new global::EmailSettings.Core.Sending.OutgoingEmail(["someone@example.com"], "Hello", "Body", AccountId: account.AccountId));
        await Alerts.DrainAsync();

        sent.Succeeded.Should().BeFalse();
        var server = (await bed.Host.GetForA<global::EmailSettings.Core.MailServers.MailServerService>().GetAsync(account.ServerId))!;
        server.ReconnectNeeded.Should().BeTrue();
        smtp.ReceivedMessages.Should().BeEmpty("AccountAlerts announces accounts only; the server card says it");
    }
}
