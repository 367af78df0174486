using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Sending;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support.OAuth;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.OAuth;

/// <summary>Send and Test Connection sign in with OAuth2 through the same connection layer; app-only access for shared mailboxes.</summary>
public sealed class OAuthSendAndTestTests(OAuthWorld world) : IClassFixture<OAuthWorld>
{
    [Fact]
    public async Task Send_signs_in_to_the_submission_server_with_the_servers_token_and_the_message_is_delivered()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);
        await world.AddServerGrantAsync(bed, account);
        var subject = $"OAuth send {Guid.NewGuid():N}";

        var result = await bed.Host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], subject, "Hello", AccountId: account.AccountId));

        result.Succeeded.Should().BeTrue(result.ErrorMessage);
        await Eventually.HoldsAsync(() => world.Smtp.ReceivedMessages.Any(m => m.Message.Subject == subject), "Dovecot relayed the message");
    }

    [Fact]
    public async Task A_server_without_a_live_grant_is_not_sent_through_and_the_log_says_reconnect()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);
        var serverGrant = await world.AddServerGrantAsync(bed, account);
        await world.Authority.RevokeUserAsync(account.User);

        var result = await bed.Host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], "Never", "x", AccountId: account.AccountId));

        result.Succeeded.Should().BeFalse();
        result.FailureKind.Should().Be(SendFailureKind.ReconnectNeeded);
        result.ErrorMessage.Should().Contain("Reconnect needed").And.Contain("Nothing was sent.");
        (await OAuthWorld.GrantAsync(bed, serverGrant)).Status.Should().Be(OAuthGrantStatus.ReconnectNeeded);
        var server = await bed.Host.GetForA<global::EmailSettings.Core.MailServers.MailServerService>().GetAsync(account.ServerId);
        server!.ReconnectNeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Test_Connection_of_a_saved_OAuth2_account_signs_in_with_its_grant()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);
        var accounts = bed.Host.GetForA<EmailAccountService>();
        var input = (await accounts.GetForEditAsync(account.AccountId))!;

        var result = await bed.Host.GetForA<ImapConnectionTester>().TestAsync(input, account.AccountId, CancellationToken.None);

        result.Succeeded.Should().BeTrue(result.Summary);
        result.Summary.Should().Contain($"signed in as \"{account.User}\"");
        input.ImapOAuthGrant!.Address.Should().Be(account.User);
    }

    [Fact]
    public async Task App_only_access_gets_a_client_credentials_token_that_the_IMAP_server_accepts()
    {
        await using var bed = await world.BedAsync();
        var signIns = bed.Host.Scope(bed.Host.TenantA).GetRequiredService<OAuthSignInService>();
        // The test server's app tokens name the app itself as the mailbox (Exchange would open the shared mailbox instead).
        var mailbox = $"{TestAuthorizationServer.PortalClientId}@example.com";

        var connected = await signIns.ConnectAppOnlyAsync(OAuthWorld.Provider, OAuthTargetKind.EmailAccount, null, mailbox, CancellationToken.None);

        connected.Succeeded.Should().BeTrue(connected.FieldErrors.Values.FirstOrDefault());
        connected.Value!.Flow.Should().Be(OAuthGrantFlow.AppOnly);
        var input = new EmailAccountInput
        {
            ImapHost = world.Dovecot.Host, ImapPort = world.Dovecot.ImapPort, ImapUsername = TestAuthorizationServer.PortalClientId,
            ImapSignInMethod = SignInMethod.OAuth2, ImapOAuthProvider = OAuthWorld.Provider, ImapOAuthGrantId = connected.Value.Id,
            ImapPinnedCertificateSha256 = world.Dovecot.CertificateSha256, DisplayName = "Shared", MailServerId = 1,
        };
        var result = await bed.Host.GetForA<ImapConnectionTester>().TestAsync(input, null, CancellationToken.None);
        result.Succeeded.Should().BeTrue(result.Summary);
    }

    [Fact]
    public async Task Deleting_the_account_deletes_its_tokens()
    {
        await using var bed = await world.BedAsync();
        var account = await world.AddAccountAsync(bed);

        (await bed.Host.GetForA<EmailAccountService>().DeleteAsync(account.AccountId)).Succeeded.Should().BeTrue();

        await using var db = await bed.Host.CreateDbContextAsync();
        db.OAuthGrants.Any(g => g.Id == account.GrantId).Should().BeFalse();
    }
}
