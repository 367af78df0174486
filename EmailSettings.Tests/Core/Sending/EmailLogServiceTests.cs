using EmailSettings.Core.Data;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Sending;

public class EmailLogServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private CoreTestHost host = null!;
    private int supportOfA;
    private int salesOfA;

    public async Task InitializeAsync()
    {
        host = await CoreTestHost.CreateAsync(Provider);
        var server = await host.AddServerAsync(host.TenantA, "smtp.example.com", 587, useTls: true);
        supportOfA = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        salesOfA = await host.AddAccountAsync(host.TenantA, server, "sales@acme.example", "Acme Sales");
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    private EmailLogService LogOfA => host.Get<EmailLogService>(host.TenantA);

    /// <summary>Rows written straight to SQLite: one a day from 1 March 2026 at 10:00, alternating account and status.</summary>
    private async Task SeedAsync(
        Guid tenantId, int count, int? accountA, int? accountB, string prefix = "Message",
        string addressA = "support@acme.example", string addressB = "sales@acme.example")
    {
        await using var db = await host.CreateDbContextAsync();
        for (var i = 0; i < count; i++)
        {
            db.EmailLog.Add(new EmailLogEntry
            {
                TenantId = tenantId,
                EmailAccountId = i % 2 == 0 ? accountA : accountB,
                FromAddress = i % 2 == 0 ? addressA : addressB,
                AttemptedAt = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc).AddDays(i),
                Recipients = $"customer{i}@example.org",
                Subject = $"{prefix} {i}",
                Status = i % 3 == 0 ? EmailLogStatus.Failed : EmailLogStatus.Sent,
                Error = i % 3 == 0 ? $"The mail server refused the recipient customer{i}@example.org" : null,
                ServerResponse = i % 3 == 0 ? "550 5.1.1 User unknown" : "250 2.0.0 Ok: queued",
                MessageId = $"m{i}@acme.example",
            });
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task The_log_is_paged_newest_first_with_the_total_count()
    {
        await SeedAsync(host.TenantA, 30, supportOfA, salesOfA);

        var first = await LogOfA.SearchAsync(new EmailLogQuery { Page = 0, PageSize = 10 });
        var last = await LogOfA.SearchAsync(new EmailLogQuery { Page = 2, PageSize = 10 });
        var beyond = await LogOfA.SearchAsync(new EmailLogQuery { Page = 3, PageSize = 10 });

        first.TotalCount.Should().Be(30);
        first.Items.Select(r => r.Subject).Should().Equal(Enumerable.Range(20, 10).Reverse().Select(i => $"Message {i}"));
        last.Items.Select(r => r.Subject).Should().Equal(Enumerable.Range(0, 10).Reverse().Select(i => $"Message {i}"));
        beyond.Items.Should().BeEmpty();
        beyond.TotalCount.Should().Be(30);
    }

    [Fact]
    public async Task Rows_carry_the_error_and_the_servers_response()
    {
        await SeedAsync(host.TenantA, 1, supportOfA, salesOfA);

        var row = (await LogOfA.SearchAsync(new EmailLogQuery())).Items.Single();

        row.Status.Should().Be(EmailLogStatus.Failed);
        row.Error.Should().Be("The mail server refused the recipient customer0@example.org");
        row.ServerResponse.Should().Be("550 5.1.1 User unknown");
        row.MessageId.Should().Be("m0@acme.example");
        row.AccountId.Should().Be(supportOfA);
        row.AttemptedAt.Should().Be(new DateTime(2026, 3, 1, 10, 0, 0));
    }

    [Fact]
    public async Task The_status_filter_returns_only_that_status()
    {
        await SeedAsync(host.TenantA, 30, supportOfA, salesOfA);

        var failed = await LogOfA.SearchAsync(new EmailLogQuery { Status = EmailLogStatus.Failed, PageSize = 100 });
        var sent = await LogOfA.SearchAsync(new EmailLogQuery { Status = EmailLogStatus.Sent, PageSize = 100 });

        failed.TotalCount.Should().Be(10);
        failed.Items.Should().OnlyContain(r => r.Status == EmailLogStatus.Failed).And.HaveCount(10);
        sent.TotalCount.Should().Be(20);
        sent.Items.Should().OnlyContain(r => r.Status == EmailLogStatus.Sent);
    }

    [Fact]
    public async Task The_account_filter_returns_only_that_accounts_attempts_and_the_accounts_are_offered()
    {
        await SeedAsync(host.TenantA, 10, supportOfA, salesOfA);

        var sales = await LogOfA.SearchAsync(new EmailLogQuery { AccountId = salesOfA });

        sales.TotalCount.Should().Be(5);
        sales.Items.Should().OnlyContain(r => r.AccountId == salesOfA && r.FromAddress == "sales@acme.example");
        sales.Accounts.Should().Equal(new EmailLogAccount(salesOfA, "sales@acme.example"), new EmailLogAccount(supportOfA, "support@acme.example"));
    }

    [Fact]
    public async Task The_date_range_includes_both_end_days_in_utc()
    {
        await SeedAsync(host.TenantA, 30, supportOfA, salesOfA);

        var range = await LogOfA.SearchAsync(new EmailLogQuery { From = new DateOnly(2026, 3, 5), To = new DateOnly(2026, 3, 7) });
        var onlyFrom = await LogOfA.SearchAsync(new EmailLogQuery { From = new DateOnly(2026, 3, 29) });
        var onlyTo = await LogOfA.SearchAsync(new EmailLogQuery { To = new DateOnly(2026, 3, 1) });

        range.Items.Select(r => r.Subject).Should().Equal("Message 6", "Message 5", "Message 4");
        onlyFrom.Items.Select(r => r.Subject).Should().Equal("Message 29", "Message 28");
        onlyTo.Items.Select(r => r.Subject).Should().Equal("Message 0");
    }

    [Fact]
    public async Task Filters_combine()
    {
        await SeedAsync(host.TenantA, 30, supportOfA, salesOfA);

        var page = await LogOfA.SearchAsync(new EmailLogQuery
        {
            Status = EmailLogStatus.Failed,
            AccountId = supportOfA,
            From = new DateOnly(2026, 3, 1),
            To = new DateOnly(2026, 3, 15),
        });

        // Failed: multiples of 3; support: even; days 0..14.
        page.Items.Select(r => r.Subject).Should().Equal("Message 12", "Message 6", "Message 0");
    }

    [Fact]
    public async Task A_tenant_sees_none_of_another_tenants_log()
    {
        await SeedAsync(host.TenantA, 5, supportOfA, salesOfA, prefix: "A");
        var serverOfB = await host.AddServerAsync(host.TenantB, "smtp.b.example", 587, useTls: true);
        var accountOfB = await host.AddAccountAsync(host.TenantB, serverOfB, "info@b.example", "B Info");
        await SeedAsync(host.TenantB, 3, accountOfB, accountOfB, prefix: "B", addressA: "info@b.example", addressB: "info@b.example");

        var ofB = await host.Get<EmailLogService>(host.TenantB).SearchAsync(new EmailLogQuery());
        var ofBFilteredByAsAccount = await host.Get<EmailLogService>(host.TenantB).SearchAsync(new EmailLogQuery { AccountId = supportOfA });

        ofB.TotalCount.Should().Be(3);
        ofB.Items.Should().OnlyContain(r => r.Subject.StartsWith("B "));
        ofB.Accounts.Should().Equal(new EmailLogAccount(accountOfB, "info@b.example"));
        ofBFilteredByAsAccount.TotalCount.Should().Be(0);
        (await LogOfA.SearchAsync(new EmailLogQuery())).TotalCount.Should().Be(5);
    }

    [Fact]
    public async Task Only_tenant_admins_can_read_the_log()
    {
        var search = () => host.Get<EmailLogService>(host.TenantA, isAdmin: false).SearchAsync(new EmailLogQuery());

        await search.Should().ThrowAsync<TenantAccessDeniedException>();
    }

    [Fact]
    public async Task Page_size_is_kept_between_1_and_100()
    {
        await SeedAsync(host.TenantA, 3, supportOfA, salesOfA);

        (await LogOfA.SearchAsync(new EmailLogQuery { PageSize = 0 })).Items.Should().HaveCount(1);
        (await LogOfA.SearchAsync(new EmailLogQuery { PageSize = 5000 })).PageSize.Should().Be(100);
        (await LogOfA.SearchAsync(new EmailLogQuery { Page = -4 })).Page.Should().Be(0);
    }
}

/// <summary>The same behaviours on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class EmailLogServiceTestsOnPostgres : EmailLogServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
