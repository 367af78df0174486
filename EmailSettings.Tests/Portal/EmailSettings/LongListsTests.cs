using Bunit;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.EmailSettings;

/// <summary>A tenant with many accounts gets a bounded page: the first cards, a filter and "Show more".</summary>
public class LongListsTests
{
    [Fact]
    public async Task Many_accounts_render_the_first_cards_and_show_more_or_a_filter_reaches_the_rest()
    {
        await using var ui = await BunitCore.CreateAsync();
        var server = await ui.AddServerAsync("Production SMTP");
        var size = EmailSettingsPage.CardPageSize;
        var total = 2 * size + 3;
        for (var i = 0; i < total; i++)
        {
            await ui.AddAccountAsync($"Team {i:D2}", $"team{i:D2}@example.com", server.Id);
        }
        _ = ui.Providers;

        var page = ui.Context.Render<EmailSettingsPage>();

        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(size));
        page.Find(".email-accounts-section .more-cards").TextContent.Should().Contain($"Showing {size} of {total} email accounts");

        page.Find(".email-accounts-section .more-cards button").Click();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(2 * size));
        page.Find(".email-accounts-section .more-cards").TextContent.Should().Contain($"Showing {2 * size} of {total} email accounts");
        page.Find(".email-accounts-section .more-cards button").Click();
        page.WaitForAssertion(() => page.FindAll(".account-card").Should().HaveCount(total));
        page.FindAll(".email-accounts-section .more-cards").Should().BeEmpty();

        // Core's order (by name) decides which cards come first; the filter searches all of them.
        page.FindAll(".account-card .email-address").Select(a => a.TextContent).Should().BeInAscendingOrder();
        page.Find(".email-accounts-section .card-filter input").Input("team1");
        page.WaitForAssertion(() => page.FindAll(".account-card").Select(c => c.QuerySelector(".email-address")!.TextContent)
            .Should().BeEquivalentTo(Enumerable.Range(10, total - 10).Select(i => $"team{i}@example.com")));

        page.Find(".email-accounts-section .card-filter input").Input("nobody-matches");
        page.WaitForAssertion(() => page.Find(".email-accounts-section").TextContent.Should().Contain("No email accounts match this search."));
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
    }
}
