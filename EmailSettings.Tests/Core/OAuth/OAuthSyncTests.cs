using EmailSettings.Core.OAuth;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.OAuth;

/// <summary>Sync signs in with XOAUTH2/OAUTHBEARER at a real Dovecot that checks each token at a real authorization server.</summary>
public sealed class OAuthSyncTests(OAuthWorld world) : IClassFixture<OAuthWorld>
{
    [Fact]
    public async Task Sync_signs_in_with_the_access_token_the_authorization_server_issued()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);
        world.Deliver(account.User, 1, 3);

        var outcome = await bed.SyncAsync(account.AccountId);

        outcome.Succeeded.Should().BeTrue(outcome.Error);
        (await bed.MessagesAsync(account.AccountId)).Should().HaveCount(3);
        bed.Host.Services.GetRequiredService<OAuthTokenService>().TokenRequests.Should().Be(0, "the stored token was still valid");
    }

    [Fact]
    public async Task An_access_token_near_its_expiry_is_renewed_first_and_the_rotated_refresh_token_is_stored()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed, storedExpiry: DateTime.UtcNow.AddMinutes(1));
        world.Deliver(account.User, 1, 2);

        var outcome = await bed.SyncAsync(account.AccountId);

        outcome.Succeeded.Should().BeTrue(outcome.Error);
        var grant = await OAuthWorld.GrantAsync(bed, account.GrantId);
        var secrets = bed.Host.Services.GetRequiredService<SecretProtector>();
        var storedRefresh = secrets.Unprotect(SecretKind.OAuthRefreshToken, grant.RefreshTokenProtected!);
        storedRefresh.Should().NotBe(account.RefreshToken, "the authorization server rotates refresh tokens and the new one must be kept");
        secrets.Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected).Should().NotBe(account.AccessToken);
        grant.AccessTokenExpiresAt.Should().BeAfter(DateTime.UtcNow.AddMinutes(30));
        (await world.Authority.IsActiveAsync(secrets.Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected))).Should().BeTrue();

        // The old refresh token is refused from now on, so keeping it would have lost the mailbox.
        var (status, body) = await world.Authority.RefreshAsync(account.RefreshToken);
        ((int)status).Should().Be(400);
        body.Should().Contain("invalid_grant");
    }

    [Fact]
    public async Task A_token_the_server_refuses_is_renewed_once_and_the_sync_resumes_where_it_stopped()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);
        world.Deliver(account.User, 1, 3);
        (await bed.SyncAsync(account.AccountId)).Succeeded.Should().BeTrue();
        world.Deliver(account.User, 4, 2);
        // The server now says the stored token is no longer good, although its stored expiry is an hour away.
        await world.Authority.RevokeAccessTokenAsync(account.AccessToken);
        var tokens = bed.Host.Services.GetRequiredService<OAuthTokenService>();

        var outcome = await bed.SyncAsync(account.AccountId);

        outcome.Succeeded.Should().BeTrue(outcome.Error);
        outcome.NewMessages.Should().Be(2, "the second run continues after the messages the first one stored");
        (await bed.MessagesAsync(account.AccountId)).Select(m => m.Subject).Should().Equal(Enumerable.Range(1, 5).Select(n => $"Test message {n}"));
        tokens.TokenRequests.Should().Be(1, "one renewal after the refusal, and one more sign-in with the new token");
    }

    [Fact]
    public async Task Concurrent_renewals_of_one_grant_make_one_token_request()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed, storedExpiry: DateTime.UtcNow.AddSeconds(-5));
        var tokens = bed.Host.Services.GetRequiredService<OAuthTokenService>();
        var before = world.Authority.TokenRequests;

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Task.Run(() => tokens.GetAccessTokenAsync(bed.Host.TenantA, account.GrantId, CancellationToken.None))));

        results.Distinct().Should().ContainSingle().Which.Should().NotBe(account.AccessToken);
        (world.Authority.TokenRequests - before).Should().Be(1);
        tokens.TokenRequests.Should().Be(1);
    }

    [Fact]
    public async Task A_revoked_grant_marks_the_account_reconnect_needed_once_and_stops_asking_the_provider()
    {
        var sink = new RecordingSink();
        await using var bed = await world.BedAsync(configure: b => b.Services.AddSingleton<IOAuthProblemSink>(sink));
        var account = await world.AddAccountAsync(bed);
        await world.Authority.RevokeUserAsync(account.User);

        var first = await bed.SyncAsync(account.AccountId);
        var requestsAfterFirst = world.Authority.TokenRequests;
        var second = await bed.SyncAsync(account.AccountId);

        first.Status.Should().Be(SyncOutcomeStatus.Failed);
        first.ErrorKind.Should().Be(SyncErrorKind.ReconnectNeeded);
        first.Error.Should().StartWith("Reconnect needed: Test IdP no longer accepts the sign-in");
        second.ErrorKind.Should().Be(SyncErrorKind.ReconnectNeeded);
        world.Authority.TokenRequests.Should().Be(requestsAfterFirst, "a dead grant is not tried again (no retry storm)");
        (await OAuthWorld.GrantAsync(bed, account.GrantId)).Status.Should().Be(OAuthGrantStatus.ReconnectNeeded);
        sink.Problems.Should().ContainSingle().Which.Should().Match<OAuthGrantProblem>(p =>
            p.RecordId == account.AccountId && p.TargetKind == OAuthTargetKind.EmailAccount && p.RecordName == $"OAuth {account.User}"
            && p.TenantId == bed.Host.TenantA && p.Reason.Contains("invalid_grant"));
        var card = await bed.Host.GetForA<global::EmailSettings.Core.EmailAccounts.EmailAccountService>().GetAsync(account.AccountId);
        card!.ReconnectNeeded.Should().BeTrue();
        card.LastSyncError.Should().Contain("Reconnect needed");
    }

    [Fact]
    public async Task No_token_is_stored_or_logged_in_plaintext()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed, storedExpiry: DateTime.UtcNow.AddMinutes(1));
        world.Deliver(account.User, 1, 1);
        (await bed.SyncAsync(account.AccountId)).Succeeded.Should().BeTrue();
        var grant = await OAuthWorld.GrantAsync(bed, account.GrantId);
        var secrets = bed.Host.Services.GetRequiredService<SecretProtector>();
        var all = new[]
        {
            account.AccessToken, account.RefreshToken,
            secrets.Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected), secrets.Unprotect(SecretKind.OAuthRefreshToken, grant.RefreshTokenProtected!),
        };

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var file = await File.ReadAllBytesAsync(bed.Host.DatabasePath);
        var wal = File.Exists(bed.Host.DatabasePath + "-wal") ? await File.ReadAllBytesAsync(bed.Host.DatabasePath + "-wal") : [];
        var logs = bed.Host.Logs.AllText;
        foreach (var token in all)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(token);
            file.AsSpan().IndexOf(bytes).Should().Be(-1, "the database holds tokens only encrypted");
            wal.AsSpan().IndexOf(bytes).Should().Be(-1);
            logs.Should().NotContain(token);
        }
    }

    private sealed class RecordingSink : IOAuthProblemSink
    {
        public List<OAuthGrantProblem> Problems { get; } = [];
        public List<OAuthGrantProblem> Recovered { get; } = [];

        public Task ReconnectNeededAsync(OAuthGrantProblem problem, CancellationToken ct)
        {
            lock (Problems)
            {
                Problems.Add(problem);
            }
            return Task.CompletedTask;
        }

        public Task ReconnectedAsync(OAuthGrantProblem recovered, CancellationToken ct)
        {
            Recovered.Add(recovered);
            return Task.CompletedTask;
        }
    }
}
