using Bunit;
using Bunit.Rendering;
using EmailSettings.Core.Sending;
using EmailSettings.Portal.Components.Pages.EmailLogs;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Support;
using MudBlazor;

namespace EmailSettings.Tests.Portal.EmailLogs;

public sealed class EmailLogsPageTests : IAsyncLifetime
{
    private CoreTestHost host = null!;
    private int supportOfA;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync();
        var server = await host.AddServerAsync(host.TenantA, "smtp.example.com", 587, useTls: true);
        supportOfA = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    /// <summary>One attempt a day from 1 March 2026; every third one failed.</summary>
    private async Task SeedAsync(
        Guid tenantId, int count, int? accountId, string prefix = "Message", string fromAddress = "support@acme.example")
    {
        await using var db = await host.CreateDbContextAsync();
        for (var i = 0; i < count; i++)
        {
            var failed = i % 3 == 0;
            db.EmailLog.Add(new EmailLogEntry
            {
                TenantId = tenantId,
                EmailAccountId = accountId,
                FromAddress = fromAddress,
                AttemptedAt = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc).AddDays(i),
                Recipients = $"customer{i}@example.org",
                Subject = $"{prefix} {i}",
                Status = failed ? EmailLogStatus.Failed : EmailLogStatus.Sent,
                Error = failed ? $"The mail server refused the recipient customer{i}@example.org: 550 5.1.1 User unknown. Nothing was sent." : null,
                ServerResponse = failed ? "550 5.1.1 User unknown" : "250 2.0.0 Ok: queued as 4F2A",
                MessageId = $"m{i}@acme.example",
            });
        }
        await db.SaveChangesAsync();
    }

    /// <summary>The page with the popover provider in the same fragment, so the open select's list is in its markup.</summary>
    private static IRenderedComponent<ContainerFragment> RenderPage(BunitCore ctx) => ctx.Context.Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<EmailLogsPage>(1);
        b.CloseComponent();
    });

    private static IReadOnlyList<string> Subjects(IRenderedComponent<ContainerFragment> cut) =>
        cut.FindAll("td[data-testid=log-subject]").Select(td => td.TextContent.Trim()).ToList();

    [Fact]
    public async Task The_page_lists_the_newest_attempts_first_one_page_at_a_time()
    {
        await SeedAsync(host.TenantA, 30, supportOfA);
        await using var ctx = BunitCore.For(host, host.TenantA);

        var cut = RenderPage(ctx);

        cut.WaitForAssertion(() => Subjects(cut).Should().Equal(Enumerable.Range(5, 25).Reverse().Select(i => $"Message {i}")));
        cut.FindAll("td[data-testid=log-time]")[0].TextContent.Trim().Should().Be("2026-03-30 10:00:00");
        cut.FindAll("td[data-testid=log-to]")[0].TextContent.Trim().Should().Be("customer29@example.org");
        cut.FindAll("td[data-testid=log-status]").Select(td => td.TextContent.Trim()).Take(3).Should().Equal("Sent", "Sent", "Failed");
        cut.Markup.Should().Contain("1-25 of 30");
    }

    [Fact]
    public async Task The_next_page_shows_the_oldest_attempts()
    {
        await SeedAsync(host.TenantA, 30, supportOfA);
        await using var ctx = BunitCore.For(host, host.TenantA);
        var cut = RenderPage(ctx);
        cut.WaitForAssertion(() => Subjects(cut).Should().HaveCount(25));

        cut.Find("button[aria-label='Next page']").Click();

        cut.WaitForAssertion(() => Subjects(cut).Should().Equal("Message 4", "Message 3", "Message 2", "Message 1", "Message 0"));
        cut.Markup.Should().Contain("26-30 of 30");
    }

    [Fact]
    public async Task Choosing_Failed_shows_only_failed_attempts()
    {
        await SeedAsync(host.TenantA, 30, supportOfA);
        await using var ctx = BunitCore.For(host, host.TenantA);
        var cut = RenderPage(ctx);
        cut.WaitForAssertion(() => Subjects(cut).Should().HaveCount(25));

        var status = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Status");
        status.Find("div.mud-input-control").MouseDown();
        cut.WaitForAssertion(() => cut.FindAll("div.mud-list-item").Should().NotBeEmpty());
        cut.FindAll("div.mud-list-item").Single(i => i.TextContent.Trim() == "Failed").Click();

        cut.WaitForAssertion(() => Subjects(cut).Should().Equal(
            "Message 27", "Message 24", "Message 21", "Message 18", "Message 15", "Message 12", "Message 9", "Message 6", "Message 3", "Message 0"));
        cut.FindAll("td[data-testid=log-status]").Should().OnlyContain(td => td.TextContent.Trim() == "Failed");
    }

    [Fact]
    public async Task Choosing_an_account_shows_only_its_attempts()
    {
        var server = await host.AddServerAsync(host.TenantA, "smtp.example.com", 587, useTls: true, name: "Second");
        var sales = await host.AddAccountAsync(host.TenantA, server, "sales@acme.example", "Acme Sales");
        await SeedAsync(host.TenantA, 3, supportOfA, prefix: "Support");
        await SeedAsync(host.TenantA, 2, sales, prefix: "Sales", fromAddress: "sales@acme.example");
        await using var ctx = BunitCore.For(host, host.TenantA);
        var cut = RenderPage(ctx);
        cut.WaitForAssertion(() => Subjects(cut).Should().HaveCount(5));

        var account = cut.FindComponents<MudSelect<int>>().Single(s => s.Instance.Label == "Account");
        account.Find("div.mud-input-control").MouseDown();
        cut.WaitForAssertion(() => cut.FindAll("div.mud-list-item").Select(i => i.TextContent.Trim())
            .Should().Equal("All accounts", "sales@acme.example", "support@acme.example"));
        cut.FindAll("div.mud-list-item").Single(i => i.TextContent.Trim() == "sales@acme.example").Click();

        cut.WaitForAssertion(() => Subjects(cut).Should().Equal("Sales 1", "Sales 0"));
        cut.FindAll("td[data-testid=log-from]").Should().OnlyContain(td => td.TextContent.Trim() == "sales@acme.example");
    }

    [Fact]
    public async Task Expanding_a_failed_row_shows_the_error_and_the_servers_response()
    {
        await SeedAsync(host.TenantA, 1, supportOfA);
        await using var ctx = BunitCore.For(host, host.TenantA);
        var cut = RenderPage(ctx);
        cut.WaitForAssertion(() => Subjects(cut).Should().Equal("Message 0"));
        cut.FindAll("[data-testid=log-details]").Should().BeEmpty();

        cut.Find("button[data-testid=toggle-details]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=log-error]").TextContent.Should().Contain(
            "The mail server refused the recipient customer0@example.org: 550 5.1.1 User unknown. Nothing was sent."));
        cut.Find("[data-testid=log-response]").TextContent.Should().Be("550 5.1.1 User unknown");
    }

    [Fact]
    public async Task An_empty_log_says_so()
    {
        await using var ctx = BunitCore.For(host, host.TenantA);

        var cut = RenderPage(ctx);

        cut.WaitForAssertion(() => cut.Find("[data-testid=log-empty]").TextContent.Should().Contain("No emails have been sent yet."));
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_attempts()
    {
        await SeedAsync(host.TenantA, 3, supportOfA, prefix: "A");
        await SeedAsync(host.TenantB, 2, accountId: null, prefix: "B");
        await using var ctx = BunitCore.For(host, host.TenantB);

        var cut = RenderPage(ctx);

        cut.WaitForAssertion(() => Subjects(cut).Should().Equal("B 1", "B 0"));
    }
}
