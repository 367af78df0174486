using Bunit;
using EmailSettings.Core.Sync;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.EmailSettings;

[Trait("Category", "Integration")]
public sealed class SyncButtonTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    private const string Name = "Support Inbox";

    /// <summary>Waits that depend on a real IMAP round trip on a busy machine.</summary>
    private static readonly TimeSpan RealSync = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_icon_spins_with_progress_while_the_account_syncs_and_stops_after()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, batchSize: 5);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 15);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);
        SyncProgress? finished = null;
        var cut = ctx.Render<SyncButton>(p => p
            .Add(x => x.AccountId, id)
            .Add(x => x.AccountName, Name)
            .Add(x => x.OnSyncFinished, e => finished = e));
        // Subscribed after the button, so the button hears "5 of 15" before the sync is held there.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var blocker = bed.Notifier.Subscribe(bed.Host.TenantA, e => e.Kind == SyncEventKind.Progress && e.Done == 5 ? gate.Task : Task.CompletedTask);
        IsSpinning(cut).Should().BeFalse();

        // Not awaited yet: the click handler waits for the sync, which the gate holds.
        var click = cut.Find($"button[aria-label='Sync {Name}']").ClickAsync(new());
        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeTrue(), RealSync);
        cut.WaitForAssertion(() => cut.Find(".sync-button .action-status").TextContent.Should().Be("5 of 15"), RealSync);
        cut.Find(".sync-button").GetAttribute("aria-busy").Should().Be("true");
        gate.SetResult();
        await click.WaitAsync(RealSync);

        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeFalse(), RealSync);
        cut.FindAll(".sync-button .action-status").Should().BeEmpty();
        finished.Should().NotBeNull();
        finished!.Kind.Should().Be(SyncEventKind.Completed);
        finished.NewMessages.Should().Be(15);
    }

    [Fact]
    public async Task A_button_rendered_while_a_scheduled_sync_runs_spins_at_once()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server, batchSize: 5);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 10);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var blocker = bed.Notifier.Subscribe(bed.Host.TenantA, e =>
        {
            if (e.Kind == SyncEventKind.Progress && e.Done == 5)
            {
                held.TrySetResult();
                return gate.Task;
            }
            return Task.CompletedTask;
        });
        var scheduled = bed.Coordinator.RunAsync(bed.Host.TenantA, id, SyncTrigger.Scheduled, default);
        await held.Task.WaitAsync(RealSync);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);

        var cut = ctx.Render<SyncButton>(p => p.Add(x => x.AccountId, id).Add(x => x.AccountName, Name));

        IsSpinning(cut).Should().BeTrue("the page was opened after the sync began");
        cut.Find(".sync-button .action-status").TextContent.Should().Be("5 of 10");
        gate.SetResult();
        (await scheduled).Should().Be(SyncOutcome.Success(10));
        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeFalse(), RealSync);
    }

    [Fact]
    public async Task Only_its_own_account_of_its_own_tenant_makes_it_spin()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        await using var ctx = CreateContext(bed, bed.Host.TenantA);
        var cut = ctx.Render<SyncButton>(p => p.Add(x => x.AccountId, 7).Add(x => x.AccountName, Name));

        await bed.Notifier.PublishAsync(Started(bed.Host.TenantB, 7));
        await bed.Notifier.PublishAsync(Started(bed.Host.TenantA, 8));
        IsSpinning(cut).Should().BeFalse();

        await bed.Notifier.PublishAsync(Started(bed.Host.TenantA, 7));
        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeTrue(), RealSync);
        await bed.Notifier.PublishAsync(Started(bed.Host.TenantA, 7) with { Kind = SyncEventKind.Failed, ErrorKind = SyncErrorKind.Other, Error = "x" });
        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeFalse(), RealSync);
    }

    [Fact]
    public async Task Disposing_the_button_ends_its_subscription()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var before = bed.Notifier.SubscriberCount;
        await using var ctx = CreateContext(bed, bed.Host.TenantA);
        ctx.Render<SyncButton>(p => p.Add(x => x.AccountId, 1).Add(x => x.AccountName, Name));
        ctx.Render<SyncButton>(p => p.Add(x => x.AccountId, 2).Add(x => x.AccountName, "Sales"));
        bed.Notifier.SubscriberCount.Should().Be(before + 2);

        await ctx.DisposeComponentsAsync();

        bed.Notifier.SubscriberCount.Should().Be(before);
    }

    [Fact]
    public async Task A_failing_sync_started_here_shows_why_in_a_snackbar()
    {
        await using var bed = await SyncTestBed.CreateAsync(dovecot.Server);
        var (id, _) = await bed.AddAccountAsync(password: "not-the-password");
        await using var ctx = CreateContext(bed, bed.Host.TenantA);
        var snackbars = ctx.Providers;
        var cut = ctx.Render<SyncButton>(p => p.Add(x => x.AccountId, id).Add(x => x.AccountName, Name));

        await cut.Find("button").ClickAsync(new());

        snackbars.WaitForAssertion(() => snackbars.Markup.Should().Contain($"Sync of {Name} failed: The IMAP server rejected the username or password"), RealSync);
        cut.WaitForAssertion(() => IsSpinning(cut).Should().BeFalse(), RealSync);
    }

    private static bool IsSpinning(IRenderedComponent<SyncButton> cut) => cut.FindAll("button.sync-spinning").Count == 1;

    private static SyncProgress Started(Guid tenantId, int accountId) =>
        new(tenantId, accountId, SyncEventKind.Started, 0, 0, 0, null, null, DateTime.UtcNow);

    private static BunitCore CreateContext(SyncTestBed bed, Guid tenantId) => BunitCore.For(bed.Host, tenantId);
}
