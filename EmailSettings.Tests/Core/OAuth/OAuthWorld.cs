using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Secrets;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using EmailSettings.Tests.Support.OAuth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Tests.Core.OAuth;

/// <summary>
/// The real parts OAuth2 tests share: the test authorization server, an SMTP server that records deliveries, and a
/// Dovecot whose oauth2 passdb checks every token at the authorization server (IMAP, and submission relaying to the SMTP
/// server). Each test uses its own mailbox name.
/// </summary>
public sealed class OAuthWorld : IAsyncLifetime
{
    public const string Provider = "TestIdP";

    public TestAuthorizationServer Authority { get; private set; } = null!;
    public SmtpTestServer Smtp { get; private set; } = null!;
    public DovecotServer Dovecot { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Authority = await TestAuthorizationServer.StartAsync();
        Smtp = await SmtpTestServer.StartAsync();
        Dovecot = await DovecotServer.StartAsync(null, [], Authority.ForDovecot(Smtp.PlainPort));
    }

    public async Task DisposeAsync()
    {
        await Dovecot.DisposeAsync();
        await Smtp.DisposeAsync();
        await Authority.DisposeAsync();
    }

    /// <summary>A Core host configured with the test authorization server as the generic provider "TestIdP".</summary>
    public Task<SyncTestBed> BedAsync(int batchSize = 200, Action<Microsoft.Extensions.Hosting.HostApplicationBuilder>? configure = null,
        global::EmailSettings.Core.Data.DatabaseProvider provider = global::EmailSettings.Core.Data.DatabaseProvider.Sqlite) =>
        SyncTestBed.CreateAsync(provider, Dovecot, batchSize, Authority.PortalSettings(Provider).ToDictionary(p => p.Key, p => p.Value), configure);

    /// <summary>
    /// Signs <paramref name="user"/> in at the authorization server and stores an OAuth2 account for it whose grant holds
    /// the tokens (encrypted, as the callback stores them). <paramref name="storedExpiry"/> overrides the stored expiry.
    /// </summary>
    public async Task<OAuthAccount> AddAccountAsync(SyncTestBed bed, string? user = null, DateTime? storedExpiry = null)
    {
        user ??= SyncTestBed.NewUser();
        var tokens = await Authority.SignInDirectlyAsync(user);
        var secrets = bed.Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await bed.Host.CreateDbContextAsync();
        var server = new MailServer
        {
            TenantId = bed.Host.TenantA, Name = $"Submission {user}", SmtpHost = Dovecot.Host, SmtpPort = Dovecot.SubmissionPort,
            SmtpUsername = user, SignInMethod = SignInMethod.OAuth2, OAuthProvider = Provider, PinnedCertificateSha256 = Dovecot.CertificateSha256,
            CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        db.MailServers.Add(server);
        await db.SaveChangesAsync();
        var address = $"{user}@example.com";
        var account = new EmailAccount
        {
            TenantId = bed.Host.TenantA, EmailAddress = address, NormalizedEmailAddress = address.ToUpperInvariant(),
            DisplayName = $"OAuth {user}", MailServerId = server.Id, ImapHost = Dovecot.Host, ImapPort = Dovecot.ImapPort,
            ImapUsername = user, ImapSignInMethod = SignInMethod.OAuth2, ImapOAuthProvider = Provider, ImapUseTls = true,
            ImapPinnedCertificateSha256 = Dovecot.CertificateSha256, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        db.EmailAccounts.Add(account);
        await db.SaveChangesAsync();
        OAuthGrant Grant(OAuthTargetKind kind) => new()
        {
            Id = Guid.NewGuid(), TenantId = bed.Host.TenantA, ProviderName = Provider, Flow = OAuthGrantFlow.Delegated, TargetKind = kind,
            MailServerId = kind == OAuthTargetKind.MailServer ? server.Id : null,
            EmailAccountId = kind == OAuthTargetKind.EmailAccount ? account.Id : null,
            Address = user, AccessTokenProtected = secrets.Protect(SecretKind.OAuthAccessToken, tokens.AccessToken),
            AccessTokenExpiresAt = storedExpiry ?? tokens.ExpiresAt,
            RefreshTokenProtected = secrets.Protect(SecretKind.OAuthRefreshToken, tokens.RefreshToken),
            Status = OAuthGrantStatus.Active, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        var imapGrant = Grant(OAuthTargetKind.EmailAccount);
        db.OAuthGrants.Add(imapGrant);
        await db.SaveChangesAsync();
        return new OAuthAccount(user, account.Id, server.Id, imapGrant.Id, tokens.AccessToken, tokens.RefreshToken);
    }

    /// <summary>Gives the account's mail server a grant of its own (a second sign-in of the same user).</summary>
    public async Task<Guid> AddServerGrantAsync(SyncTestBed bed, OAuthAccount account)
    {
        var tokens = await Authority.SignInDirectlyAsync(account.User);
        var secrets = bed.Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await bed.Host.CreateDbContextAsync();
        var grant = new OAuthGrant
        {
            Id = Guid.NewGuid(), TenantId = bed.Host.TenantA, ProviderName = Provider, Flow = OAuthGrantFlow.Delegated,
            TargetKind = OAuthTargetKind.MailServer, MailServerId = account.ServerId, Address = account.User,
            AccessTokenProtected = secrets.Protect(SecretKind.OAuthAccessToken, tokens.AccessToken), AccessTokenExpiresAt = tokens.ExpiresAt,
            RefreshTokenProtected = secrets.Protect(SecretKind.OAuthRefreshToken, tokens.RefreshToken),
            Status = OAuthGrantStatus.Active, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        db.OAuthGrants.Add(grant);
        await db.SaveChangesAsync();
        return grant.Id;
    }

    /// <summary>
    /// A new sign-in of <paramref name="user"/> for the account, stored as the callback stores it for a dialog or a
    /// card's Reconnect: pending, meant for the record, not attached yet.
    /// </summary>
    public async Task<Guid> AddPendingGrantAsync(SyncTestBed bed, string user, int accountId)
    {
        var tokens = await Authority.SignInDirectlyAsync(user);
        var secrets = bed.Host.Services.GetRequiredService<SecretProtector>();
        await using var db = await bed.Host.CreateDbContextAsync();
        var grant = new OAuthGrant
        {
            Id = Guid.NewGuid(), TenantId = bed.Host.TenantA, ProviderName = Provider, Flow = OAuthGrantFlow.Delegated,
            TargetKind = OAuthTargetKind.EmailAccount, IntendedRecordId = accountId, PendingUntil = DateTime.UtcNow.AddMinutes(10), Address = user,
            AccessTokenProtected = secrets.Protect(SecretKind.OAuthAccessToken, tokens.AccessToken), AccessTokenExpiresAt = tokens.ExpiresAt,
            RefreshTokenProtected = secrets.Protect(SecretKind.OAuthRefreshToken, tokens.RefreshToken),
            Status = OAuthGrantStatus.Active, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        db.OAuthGrants.Add(grant);
        await db.SaveChangesAsync();
        return grant.Id;
    }

    public static async Task<OAuthGrant> GrantAsync(SyncTestBed bed, Guid grantId)
    {
        await using var db = await bed.Host.CreateDbContextAsync();
        return await db.OAuthGrants.AsNoTracking().SingleAsync(g => g.Id == grantId);
    }

    /// <summary>Fills the user's INBOX through Dovecot's own delivery (the OAuth users have no password).</summary>
    public int Deliver(string user, int from, int count) =>
        Dovecot.DeliverToMaildir(user, Enumerable.Range(from, count).Select(n => DovecotServer.CreateMessage(n)));
}

public sealed record OAuthAccount(string User, int AccountId, int ServerId, Guid GrantId, string AccessToken, string RefreshToken);
