using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Common;

/// <summary>The services list in the order the settings page shows: by name ignoring case, then by id; the default is not moved up.</summary>
public class DisplayOrderTests : IAsyncLifetime
{
    private CoreTestHost host = null!;

    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync(Provider);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Servers_are_listed_by_name_ignoring_case_then_by_id()
    {
        var servers = host.GetForA<MailServerService>();
        var ids = new Dictionary<string, int>();
        // Created out of order; "beta" twice (the second one is the default: it keeps its place, after the first).
        foreach (var name in new[] { "charlie", "Beta", "alpha", "Émile", "beta", "Zulu" })
        {
            var result = await servers.CreateAsync(new MailServerInput { Name = name, SmtpHost = "smtp.example.com" });
            result.Succeeded.Should().BeTrue();
            ids[name] = result.Value!.Id;
        }
        (await servers.SetDefaultAsync(ids["beta"])).Succeeded.Should().BeTrue();

        var listed = await servers.ListAsync();

        listed.Select(s => s.Name).Should().Equal("alpha", "Beta", "beta", "charlie", "Émile", "Zulu");
        listed.Where(s => s.Name.Equals("beta", StringComparison.OrdinalIgnoreCase)).Select(s => s.Id).Should().Equal(ids["Beta"], ids["beta"]);
        listed.Single(s => s.IsDefault).Name.Should().Be("beta");
    }

    [Fact]
    public async Task Accounts_are_listed_by_display_name_ignoring_case_then_by_id()
    {
        var server = (await host.GetForA<MailServerService>().CreateAsync(new MailServerInput { Name = "SMTP", SmtpHost = "smtp.example.com" })).Value!;
        var accounts = host.GetForA<EmailAccountService>();
        var ids = new List<int>();
        var names = new[] { "support", "Sales", "marketing", "Support", "billing" };
        for (var i = 0; i < names.Length; i++)
        {
            var result = await accounts.CreateAsync(new EmailAccountInput
            {
                EmailAddress = $"a{i}@example.com", DisplayName = names[i], MailServerId = server.Id, IsDefault = names[i] == "Support",
            });
            result.Succeeded.Should().BeTrue();
            ids.Add(result.Value!.Id);
        }

        var listed = await accounts.ListAsync();

        listed.Select(a => a.DisplayName).Should().Equal("billing", "marketing", "Sales", "support", "Support");
        listed.Select(a => a.Id).Should().Equal(ids[4], ids[2], ids[1], ids[0], ids[3]);
    }
}

/// <summary>The same order on PostgreSQL, whose collation would sort differently than SQLite's if the query sorted.</summary>
[Trait("Category", "Integration")]
public sealed class DisplayOrderTestsOnPostgres : DisplayOrderTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
