using EmailSettings.Core.Data;
using EmailSettings.Core.OAuth;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.OAuth;

/// <summary>Token renewal on two nodes of one PostgreSQL database, against the real authorization server.</summary>
[Trait("Category", "Integration")]
public sealed class OAuthClusterTests(OAuthWorld world) : IClassFixture<OAuthWorld>
{
    [Fact]
    public async Task Renewals_of_one_grant_on_two_nodes_at_once_make_one_token_request_and_both_use_the_new_token()
    {
        await using var nodeA = await world.BedAsync(provider: DatabaseProvider.Postgres);
        var account = await world.AddAccountAsync(nodeA, storedExpiry: DateTime.UtcNow.AddSeconds(-5));
        await using var nodeB = await nodeA.JoinAsync("node-b");
        var tokensA = nodeA.Host.Services.GetRequiredService<OAuthTokenService>();
        var tokensB = nodeB.Host.Services.GetRequiredService<OAuthTokenService>();
        var before = world.Authority.TokenRequests;

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Task.Run(() => (i % 2 == 0 ? tokensA : tokensB).GetAccessTokenAsync(nodeA.Host.TenantA, account.GrantId, CancellationToken.None))));

        results.Distinct().Should().ContainSingle("the node that waited reads the token the other stored")
            .Which.Should().NotBe(account.AccessToken);
        (world.Authority.TokenRequests - before).Should().Be(1, "a second refresh with the retired refresh token would be refused as invalid_grant");
        (tokensA.TokenRequests + tokensB.TokenRequests).Should().Be(1);
        (await world.Authority.IsActiveAsync(results[0])).Should().BeTrue();
    }
}
