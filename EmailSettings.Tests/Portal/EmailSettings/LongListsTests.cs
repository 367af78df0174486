using Bunit;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>A tenant with many accounts gets a bounded page: the first cards, a filter and "Show more".</summary>
public class LongListsTests
{
    [Fact]
    public async Task Long_lists_show_the_first_cards_with_their_count_and_show_more_reveals_many_at_once()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        foreach (var name in new[] { "Backup SMTP", "Relay 1", "Relay 2", "Relay 3" })
        {
            await ui.AddServerAsync(name);
        }
        const int total = 50;
        for (var i = 0; i < total; i++)
        {
            await ui.AddAccountAsync($"Team {i:D2}", $"team{i:D2}@example.com", server.Id);
        }
        _ = ui.Providers;
        var first = EmailSettingsPage.FirstAccountCards;
        var step = EmailSettingsPage.CardsPerShowMore;
        step.Should().BeGreaterThanOrEqualTo(2 * first, "an admin with 50 accounts should not click through them six at a time");

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(first));
        // Servers give way first (a tenant has a few): fewer of them at first, with the same count and "Show more".
        var servers = page.Find(".mail-servers-section");
        servers.QuerySelectorAll(".server-card").Should().HaveCount(EmailSettingsPage.FirstServerCards);
        servers.QuerySelector(".card-count")!.TextContent.Should().Be($"Showing {EmailSettingsPage.FirstServerCards} of 5 mail servers");
        servers.QuerySelector(".more-cards button")!.TextContent.Trim().Should().Be($"Show {5 - EmailSettingsPage.FirstServerCards} more mail servers");
        var section = () => page.Find(".email-accounts-section");
        section().QuerySelector(".card-count[role=status]")!.TextContent.Should().Be($"Showing {first} of {total} email accounts");
        section().QuerySelector(".more-cards button")!.TextContent.Trim().Should().Be($"Show {step} more email accounts");

        section().QuerySelector(".more-cards button")!.Click();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(first + step));
        section().QuerySelector(".card-count")!.TextContent.Should().Be($"Showing {first + step} of {total} email accounts");
        section().QuerySelector(".more-cards button")!.TextContent.Trim().Should().Be($"Show {total - first - step} more email accounts");
        section().QuerySelector(".more-cards button")!.Click();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(total));
        section().QuerySelector(".more-cards").Should().BeNull();
        section().QuerySelector(".card-count")!.TextContent.Should().Be($"Showing {total} of {total} email accounts");

        // Every card is a named group in Core's order (by name): reachable by keyboard and screen reader alike.
        page.FindAll(".email-accounts-section .card-cell[role=group]").Select(c => c.GetAttribute("aria-label"))
            .Should().Equal(Enumerable.Range(0, total).Select(i => $"Email account Team {i:D2}"));

        // The filter searches all of them, starts again at the first cards and says how many match.
        page.Find(".email-accounts-section .card-filter input").Input("team1");
        page.WaitForAssertion(() => page.FindAll(".account-card").Select(c => c.QuerySelector(".email-address")!.TextContent)
            .Should().Equal(Enumerable.Range(10, first).Select(i => $"team{i}@example.com")));
        section().QuerySelector(".card-count")!.TextContent.Should().Be($"Showing {first} of 10 email accounts that match");
        section().QuerySelector(".more-cards button")!.TextContent.Trim().Should().Be($"Show {10 - first} more email accounts");

        page.Find(".email-accounts-section .card-filter input").Input("nobody-matches");
        page.WaitForAssertion(() => section().QuerySelector(".card-count")!.TextContent.Should().Be("No email accounts match this search."));
        page.FindAll(".account-card").Should().BeEmpty();
    }

    [Fact]
    public async Task A_short_list_has_neither_filter_nor_show_more()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        await ui.AddAccountAsync("Support", "support@example.com", server.Id);
        _ = ui.Providers;

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(1));
        page.FindAll(".card-filter").Should().BeEmpty();
        page.FindAll(".more-cards").Should().BeEmpty();
        page.FindAll(".card-count").Should().BeEmpty();
    }
}
