using EmailSettings.Core.Alerts;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EmailSettings.Tests.Core.Alerts;

/// <summary>
/// Failing accounts are announced to the tenant admins: real Dovecot, the real SMTP test server receiving the emails,
/// the real sending path, and a fake clock for the thresholds.
/// </summary>
public sealed class SyncAlertsTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 10, 2, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider clock = new(Start);
    private SmtpTestServer smtp = null!;
    private SyncTestBed bed = null!;

    public async Task InitializeAsync()
    {
        smtp = await SmtpTestServer.StartAsync();
        smtp.AddUser(SendingSetup.SmtpUser, SendingSetup.SmtpPassword);
        bed = await SyncTestBed.CreateAsync(dovecot.Server, settings: new Dictionary<string, string?>
        {
            ["Sync:AlertAfterFailures"] = "3",
            ["Sync:AlertAfter"] = "01:00:00",
            ["Sync:PauseAfter"] = "3.00:00:00",
        }, configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var host = bed.Host;
        await TestUsers.CreateAsync(host.Services, host.TenantA, "admin1@a.test", isTenantAdmin: true);
        await TestUsers.CreateAsync(host.Services, host.TenantA, "admin2@a.test", isTenantAdmin: true);
        await TestUsers.CreateAsync(host.Services, host.TenantA, "member@a.test", isTenantAdmin: false);
        await TestUsers.CreateAsync(host.Services, host.TenantB, "admin@b.test", isTenantAdmin: true);
        var server = await host.AddServerAsync(host.TenantA, smtp);
        await host.AddAccountAsync(host.TenantA, server, "notices@a.test", "Notices", isDefault: true);
    }

    public async Task DisposeAsync()
    {
        await bed.DisposeAsync();
        await smtp.DisposeAsync();
    }

    private AccountAlerts Alerts => bed.Host.Services.GetRequiredService<AccountAlerts>();

    [Fact]
    public async Task A_failing_account_sends_one_alert_and_one_recovered_email_to_the_tenant_admins_and_pauses_after_the_configured_time()
    {
        var closedPort = FreePort.Next();
        var (id, user) = await bed.AddAccountAsync(port: closedPort);
        var heard = new List<AccountAlertEvent>();
        using var subscription = bed.Host.Get<AccountAlertService>(bed.Host.TenantA).Subscribe(e =>
        {
            lock (heard)
            {
                heard.Add(e);
            }
            return Task.CompletedTask;
        });

        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        clock.Advance(TimeSpan.FromMinutes(5));
        (await SyncAsync(id, SyncTrigger.Scheduled)).Status.Should().Be(SyncOutcomeStatus.Failed);
        await Alerts.DrainAsync();
        smtp.ReceivedMessages.Should().BeEmpty("two failures are below Sync:AlertAfterFailures");

        clock.Advance(TimeSpan.FromMinutes(5));
        (await SyncAsync(id, SyncTrigger.Scheduled)).Status.Should().Be(SyncOutcomeStatus.Failed);
        await Alerts.DrainAsync();
        var alert = smtp.ReceivedMessages.Should().ContainSingle("the third failure is announced").Subject;
        alert.RcptTo.Should().BeEquivalentTo(["admin1@a.test", "admin2@a.test"], "only this tenant's admins are told");
        alert.Message.From.Mailboxes.Single().Address.Should().Be("notices@a.test", "it goes out through the tenant's default account");
        alert.Message.Subject.Should().Be($"Sync of Inbox {user} is failing");
        var reason = (await bed.AccountAsync(id))!.LastSyncError!;
        alert.Message.TextBody.Should().Contain($"Sync of Inbox {user} has failed since 3 Dec 2026, 10:02 UTC: {reason}");
        alert.Message.TextBody.Should().NotContain(SyncTestBed.Password);
        heard.Should().ContainSingle(e => e.Change == AccountAlertChange.Raised && e.AccountId == id);

        // Still broken: no repeat, not after more failures and not after a restart of the announcer's memory (the row).
        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        (await Alerts.RaiseAsync(bed.Host.TenantA, id, AccountProblemKind.SyncFailing, "again")).Should().BeFalse();
        await Alerts.DrainAsync();
        smtp.ReceivedMessages.Should().HaveCount(1);
        var card = (await bed.Host.Get<EmailAccountService>(bed.Host.TenantA).GetAsync(id))!;
        card.Problems.Should().ContainSingle().Which.Kind.Should().Be(AccountProblemKind.SyncFailing);
        card.SyncPausedAt.Should().BeNull();

        // Three days after the first failure, the next scheduled failure pauses the schedule.
        clock.Advance(TimeSpan.FromDays(3));
        (await SyncAsync(id, SyncTrigger.Scheduled)).Status.Should().Be(SyncOutcomeStatus.Failed);
        var pausedAt = clock.GetUtcNow().UtcDateTime;
        (await bed.AccountAsync(id))!.SyncPausedAt.Should().Be(pausedAt);
        card = (await bed.Host.Get<EmailAccountService>(bed.Host.TenantA).GetAsync(id))!;
        card.Health.IsPaused.Should().BeTrue("the card says the schedule is paused");
        heard.Should().ContainSingle(e => e.Change == AccountAlertChange.Paused);
        clock.Advance(TimeSpan.FromDays(1));
        (await SyncAsync(id, SyncTrigger.Scheduled)).Status.Should().Be(SyncOutcomeStatus.Skipped, "paused");
        (await SyncAsync(id, SyncTrigger.Push)).Status.Should().Be(SyncOutcomeStatus.Skipped, "paused for pushes too");

        // A manual sync always runs, and lifts the pause.
        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        (await bed.AccountAsync(id))!.SyncPausedAt.Should().BeNull();
        (await bed.Host.Get<AccountAlertService>(bed.Host.TenantA).GetHealthAsync(id))!.IsPaused.Should().BeFalse();

        // The admin fixes the port: the next sync works and one "works again" email goes out.
        var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
        var input = (await accounts.GetForEditAsync(id))!;
        input.ImapPort = dovecot.Server.ImapPort;
        (await accounts.UpdateAsync(id, input)).Succeeded.Should().BeTrue();
        (await SyncAsync(id, SyncTrigger.Manual)).Succeeded.Should().BeTrue();
        (await SyncAsync(id, SyncTrigger.Manual)).Succeeded.Should().BeTrue();
        await Alerts.DrainAsync();
        smtp.ReceivedMessages.Should().HaveCount(2);
        var recovered = smtp.ReceivedMessages[1];
        recovered.RcptTo.Should().BeEquivalentTo(["admin1@a.test", "admin2@a.test"]);
        recovered.Message.Subject.Should().Be($"Sync of Inbox {user} works again");
        recovered.Message.TextBody.Should().Contain("it had failed since 3 Dec 2026, 10:02 UTC");
        heard.Count(e => e.Change == AccountAlertChange.Cleared).Should().Be(1);
        (await bed.Host.Get<EmailAccountService>(bed.Host.TenantA).GetAsync(id))!.Health.IsHealthy.Should().BeTrue();
    }

    [Fact]
    public async Task An_account_failing_for_the_configured_time_is_announced_before_it_reaches_the_failure_count()
    {
        var (id, _) = await bed.AddAccountAsync(port: FreePort.Next());
        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        clock.Advance(TimeSpan.FromMinutes(61));
        (await SyncAsync(id, SyncTrigger.Manual)).Status.Should().Be(SyncOutcomeStatus.Failed);
        await Alerts.DrainAsync();
        smtp.ReceivedMessages.Should().ContainSingle("two failures an hour apart pass Sync:AlertAfter");
    }

    [Fact]
    public async Task Another_feature_raises_and_clears_its_own_problem_once_and_only_in_the_accounts_tenant()
    {
        var (id, _) = await bed.AddAccountAsync();
        const string reason = "Microsoft refused the saved sign-in (the grant was revoked). Reconnect the account.";

        (await Alerts.RaiseAsync(bed.Host.TenantB, id, AccountProblemKind.ReconnectNeeded, reason)).Should().BeFalse("not tenant B's account");
        (await Alerts.ClearAsync(bed.Host.TenantA, id, AccountProblemKind.ReconnectNeeded)).Should().BeFalse("nothing to clear");
        (await Alerts.RaiseAsync(bed.Host.TenantA, id, AccountProblemKind.ReconnectNeeded, reason)).Should().BeTrue();
        (await Alerts.RaiseAsync(bed.Host.TenantA, id, AccountProblemKind.ReconnectNeeded, reason)).Should().BeFalse("announced once");
        var health = (await bed.Host.Get<AccountAlertService>(bed.Host.TenantA).GetHealthAsync(id))!;
        health.Problems.Should().ContainSingle().Which.Should().Match<AccountProblem>(p => p.Kind == AccountProblemKind.ReconnectNeeded && p.Reason == reason);
        (await bed.Host.Get<AccountAlertService>(bed.Host.TenantB).GetHealthAsync(id)).Should().BeNull("tenant B sees nothing of it");

        (await Alerts.ClearAsync(bed.Host.TenantB, id, AccountProblemKind.ReconnectNeeded)).Should().BeFalse("tenant B clears nothing");
        (await Alerts.ClearAsync(bed.Host.TenantA, id, AccountProblemKind.ReconnectNeeded)).Should().BeTrue();
        (await Alerts.ClearAsync(bed.Host.TenantA, id, AccountProblemKind.ReconnectNeeded)).Should().BeFalse("cleared once");
        await Alerts.DrainAsync();
        var name = (await bed.AccountAsync(id))!.DisplayName;
        smtp.ReceivedMessages.Select(m => m.Message.Subject).Should().Equal($"Reconnect needed: {name}", $"{name} is connected again");
        smtp.ReceivedMessages[0].Message.TextBody.Should().Contain(reason);
    }

    private Task<SyncOutcome> SyncAsync(int id, SyncTrigger trigger) =>
        bed.Coordinator.RunAsync(bed.Host.TenantA, id, trigger, CancellationToken.None);
}
