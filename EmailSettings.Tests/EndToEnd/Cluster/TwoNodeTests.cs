using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailSettings.Tests.EndToEnd.Cluster;

/// <summary>
/// Two real Portal processes on one PostgreSQL and one Dovecot (<see cref="TwoNodeCluster"/>), driven through Chromium
/// where a page is involved. What a node does is seen from outside only: its pages, its log lines, Dovecot's log and
/// the database (leases in pg_locks, the synced rows).
/// </summary>
[Trait("Category", "Integration")]
public sealed class TwoNodeTests(TwoNodeCluster cluster, BrowserFixture browser) : IClassFixture<TwoNodeCluster>, IClassFixture<BrowserFixture>
{
    private static readonly System.Text.RegularExpressions.Regex Spinning = TenantAdminJourneyTests.Spinning;

    private async Task<BrowserPage> OpenSettingsAsync(string node)
    {
        var tab = await browser.NewPageAsync(cluster[node].BaseUri);
        await tab.Page.SignInAndOpenAsync(cluster[node].BaseUrl, TestUsers.DemoAdmin);
        return tab;
    }

    private static ILocator SyncButton(BrowserPage tab, string user) =>
        tab.Page.GetByRole(AriaRole.Button, new() { Name = $"Sync Inbox {user}", Exact = true });

    private static ILocator Card(BrowserPage tab, string user) =>
        tab.Page.GetByRole(AriaRole.Group, new() { Name = $"Email account Inbox {user}" });

    [Fact]
    public async Task A_page_served_by_node_B_spins_while_node_A_syncs_and_stops_when_it_ends()
    {
        await using var relay = TcpRelay.Start(cluster.Dovecot.ImapPort);
        var (id, user) = await cluster.AddAccountAsync(relay);
        await cluster.Bed.AppendAsync(user, 1, 5);
        await using var onA = await OpenSettingsAsync(TwoNodeCluster.NodeA);
        await using var onB = await OpenSettingsAsync(TwoNodeCluster.NodeB);
        await Expect(SyncButton(onB, user)).Not.ToHaveClassAsync(Spinning);

        relay.Hold();
        await SyncButton(onA, user).ClickAsync();

        await Expect(SyncButton(onB, user)).ToHaveClassAsync(Spinning);
        (await cluster.SyncLeaseHolderAsync(id)).Should().Be(TwoNodeCluster.NodeA, "the click on node A's page runs the sync on node A");
        await onB.ScreenshotAsync("cluster/node-b-spins-while-node-a-syncs");
        relay.Release();
        await Expect(SyncButton(onB, user)).Not.ToHaveClassAsync(Spinning);
        await Expect(Card(onB, user)).ToContainTextAsync("5 messages");
        await Expect(Card(onA, user)).ToContainTextAsync("5 messages");
        onB.ConsoleErrors.Should().BeEmpty();
    }

    [Fact]
    public async Task Every_scheduled_firing_runs_once_across_both_nodes()
    {
        var (id, user) = await cluster.AddAccountAsync();
        await cluster.Bed.AppendAsync(user, 1, 2);
        var sessionsBefore = cluster.Dovecot.LoginCount(user);

        await cluster.ScheduleAsync(id);
        await Eventually.HoldsAsync(() => cluster.Firings(id).Count >= 5, "the job fired a few times (every 2 s)", TimeSpan.FromSeconds(60));
        await cluster.UnscheduleAsync(id);
        await Eventually.HoldsAsync(() => cluster.SyncLeaseHolderAsync(id).Result is null
                && cluster.Dovecot.LoginCount(user) - sessionsBefore == cluster.Firings(id).Count,
            "the last firing finished, with one IMAP session for each firing", TimeSpan.FromSeconds(30));

        var firings = cluster.Firings(id);
        firings.GroupBy(f => f.FireTime).Should().OnlyContain(g => g.Count() == 1, "no scheduled fire time ran on both nodes");
        firings.Should().OnlyContain(f => f.Node == TwoNodeCluster.NodeA || f.Node == TwoNodeCluster.NodeB);
        (await cluster.Bed.MessagesAsync(id)).Should().HaveCount(2);
    }

    [Fact]
    public async Task Clicking_sync_on_both_nodes_at_once_makes_one_IMAP_session()
    {
        await using var relay = TcpRelay.Start(cluster.Dovecot.ImapPort);
        var (id, user) = await cluster.AddAccountAsync(relay);
        await cluster.Bed.AppendAsync(user, 1, 7);
        await using var onA = await OpenSettingsAsync(TwoNodeCluster.NodeA);
        await using var onB = await OpenSettingsAsync(TwoNodeCluster.NodeB);
        var sessionsBefore = cluster.Dovecot.LoginCount(user);

        relay.Hold();
        await Task.WhenAll(SyncButton(onA, user).ClickAsync(), SyncButton(onB, user).ClickAsync());
        await Expect(SyncButton(onA, user)).ToHaveClassAsync(Spinning);
        await Expect(SyncButton(onB, user)).ToHaveClassAsync(Spinning);
        var waits = $"Manual sync request for account {id} waits for the sync running on another node";
        await Eventually.HoldsAsync(() => cluster[TwoNodeCluster.NodeA].OutputText.Contains(waits) || cluster[TwoNodeCluster.NodeB].OutputText.Contains(waits),
            "the node that came second waits for the first one's run", TimeSpan.FromSeconds(30));
        relay.Release();

        await Expect(SyncButton(onA, user)).Not.ToHaveClassAsync(Spinning);
        await Expect(SyncButton(onB, user)).Not.ToHaveClassAsync(Spinning);
        await Expect(Card(onA, user)).ToContainTextAsync("7 messages");
        await Expect(Card(onB, user)).ToContainTextAsync("7 messages");
        (cluster.Dovecot.LoginCount(user) - sessionsBefore).Should().Be(1, "both clicks were served by one IMAP session");
        await Expect(onA.Page.GetByText($"Sync of Inbox {user} failed")).ToHaveCountAsync(0);
        await Expect(onB.Page.GetByText($"Sync of Inbox {user} failed")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_password_saved_through_node_A_tests_successfully_through_node_B()
    {
        var (id, user) = await cluster.AddAccountAsync();
        await using (var db = await cluster.Bed.Host.CreateDbContextAsync())
        {
            var account = await db.EmailAccounts.FindAsync(id);
            account!.ImapPasswordProtected = null;
            await db.SaveChangesAsync();
        }

        await using (var onA = await OpenSettingsAsync(TwoNodeCluster.NodeA))
        {
            await onA.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit Inbox {user}", Exact = true }).ClickAsync();
            var dialog = onA.Page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("IMAP Password").FillAsync(SyncTestBed.Password);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save Changes" }).ClickAsync();
            await Expect(dialog).ToHaveCountAsync(0);
        }

        await using var onB = await OpenSettingsAsync(TwoNodeCluster.NodeB);
        await onB.Page.GetByRole(AriaRole.Button, new() { Name = $"Edit Inbox {user}", Exact = true }).ClickAsync();
        var edit = onB.Page.GetByRole(AriaRole.Dialog);
        await Expect(edit.GetByLabel("IMAP Password")).ToHaveValueAsync("", new() { Timeout = 15_000 });
        await edit.GetByRole(AriaRole.Button, new() { Name = "Test IMAP Connection" }).ClickAsync();
        await Expect(edit.GetByText($"signed in as \"{user}\"")).ToBeVisibleAsync();
        await onB.ScreenshotAsync("cluster/node-b-tests-the-password-saved-on-node-a");
    }

    [Fact]
    public async Task A_node_killed_mid_sync_has_its_job_recovered_by_the_other_and_the_mailbox_ends_complete_without_duplicates()
    {
        await using var relay = TcpRelay.Start(cluster.Dovecot.ImapPort);
        var (id, user) = await cluster.AddAccountAsync(relay);
        await cluster.Bed.AppendAsync(user, 1, 100);
        // Slow enough that the sync is caught between its first committed batch (of 10) and its last.
        relay.BytesPerSecond = 20_000;

        await cluster.ScheduleAsync(id);
        await Eventually.HoldsAsync(() => cluster.Bed.MessagesAsync(id).Result.Count >= 10, "the scheduled sync committed its first batch", TimeSpan.FromSeconds(60));
        var victim = await cluster.SyncLeaseHolderAsync(id);
        victim.Should().BeOneOf(TwoNodeCluster.NodeA, TwoNodeCluster.NodeB);
        var survivor = victim == TwoNodeCluster.NodeA ? TwoNodeCluster.NodeB : TwoNodeCluster.NodeA;
        var committed = (await cluster.Bed.MessagesAsync(id)).Count;
        committed.Should().BeLessThan(100, "the sync was still running");

        await cluster[victim!].KillAsync();
        relay.BytesPerSecond = null;

        await Eventually.HoldsAsync(() => cluster.Firings(id).Any(f => f.Node == survivor && f.Recovering),
            "the surviving node recovers the dead node's firing", TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(() => cluster.Bed.MessagesAsync(id).Result.Count == 100, "the mailbox ends complete", TimeSpan.FromSeconds(60));
        await cluster.UnscheduleAsync(id);
        var messages = await cluster.Bed.MessagesAsync(id);
        messages.Select(m => m.Uid).Should().OnlyHaveUniqueItems();
        messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
        messages.Select(m => m.Subject).Should().BeEquivalentTo(Enumerable.Range(1, 100).Select(n => $"Test message {n}"));

        await cluster.StartAsync(victim!);
    }

    [Fact]
    public async Task The_sample_nginx_configuration_keeps_each_browser_on_one_node_and_its_circuit_works_through_it()
    {
        await using var nginx = await NginxServer.StartAsync([cluster[TwoNodeCluster.NodeA].BaseUri, cluster[TwoNodeCluster.NodeB].BaseUri]);
        var (_, user) = await cluster.AddAccountAsync();

        // A browser gets a random affinity; to use both nodes the test picks one that nginx routes to each.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = nginx.BaseUri };
        var affinities = new Dictionary<int, string>();
        for (var i = 0; affinities.Count < 2 && i < 100; i++)
        {
            var value = $"probe-{i}";
            using var request = new HttpRequestMessage(HttpMethod.Get, "health/live");
            request.Headers.Add("Cookie", $"EmailSettingsNode={value}");
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
            // nginx writes the access line after it sent the response.
            await Eventually.HoldsAsync(() => nginx.Requests().Any(r => r.Affinity == value), "nginx logged the probe");
            affinities.TryAdd(nginx.Requests().Last(r => r.Affinity == value).NodePort, value);
        }
        affinities.Keys.Should().BeEquivalentTo([cluster[TwoNodeCluster.NodeA].BaseUri.Port, cluster[TwoNodeCluster.NodeB].BaseUri.Port]);

        var messages = 0;
        foreach (var affinity in affinities.Values)
        {
            await using var tab = await browser.NewPageAsync(nginx.BaseUri);
            await tab.Context.AddCookiesAsync([new Cookie { Name = "EmailSettingsNode", Value = affinity, Url = nginx.BaseUrl }]);
            await tab.Page.SignInAndOpenAsync(nginx.BaseUrl, TestUsers.DemoAdmin);
            await cluster.Bed.AppendAsync(user, ++messages, 1);
            await SyncButton(tab, user).ClickAsync();
            await Expect(Card(tab, user)).ToContainTextAsync($"{messages} message", new() { Timeout = 30_000 });
        }
        string fresh;
        await using (var tab = await browser.NewPageAsync(nginx.BaseUri))
        {
            await tab.Page.SignInAndOpenAsync(nginx.BaseUrl, TestUsers.DemoAdmin);
            fresh = (await tab.Context.CookiesAsync()).Single(c => c.Name == "EmailSettingsNode").Value;
            await Expect(Card(tab, user)).ToContainTextAsync($"{messages} messages");
        }

        // A WebSocket is logged when it closes: all three pages are closed now.
        await Eventually.HoldsAsync(() => nginx.Requests().Count(r => r.Status == 101) >= 3, "nginx logged the three circuits' WebSockets");
        foreach (var affinity in affinities.Values.Append(fresh))
        {
            var routed = nginx.Requests().Where(r => r.Affinity == affinity).ToList();
            routed.Select(r => r.NodePort).Distinct().Should().ContainSingle("every request of one browser, sign-in and circuit included, goes to one node");
            routed.Should().Contain(r => r.Status == 101 && r.Request.Contains("/_blazor"), "the circuit's WebSocket went through nginx");
            routed.Count.Should().BeGreaterThan(5);
        }
    }
}
