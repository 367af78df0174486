using System.Security.Cryptography;
using EmailSettings.Core.Cluster;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using EmailSettings.Core.Secrets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Client;

namespace EmailSettings.Core.OAuth;

/// <summary>
/// The one place that hands out OAuth2 access tokens and renews them: ahead of expiry, and when a mail server says the
/// token it was given is no longer good. Concurrent renewals of one grant make one token request: a single flight per
/// grant in this process, and across the nodes of a cluster the grant's "oauth-refresh" lease, under which the grant is
/// read again, so a node that waited uses the token the other node just stored instead of spending the refresh token
/// that node's renewal retired. A rotated refresh
/// token is always stored before the new access token is handed out. A provider that refuses the refresh token
/// (<c>invalid_grant</c>) marks the grant "Reconnect needed" once and tells the <see cref="IOAuthProblemSink"/>s.
/// </summary>
/// <remarks>Members take a tenant id on trust: only Core's tenant-checked callers (credentials, sign-in service) reach them.</remarks>
public sealed class OAuthTokenService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    SecretProtector secrets,
    OpenIddictClientService client,
    OAuthProviderCatalog catalog,
    IClusterLeases leases,
    IOptions<OAuthOptions> options,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<OAuthTokenService> logger)
{
    /// <summary>OAuth error codes that mean the grant itself is gone: a new sign-in is the only cure.</summary>
    private static readonly HashSet<string> DeadGrantErrors = new(StringComparer.Ordinal)
    {
        OpenIddictConstants.Errors.InvalidGrant,
        OpenIddictConstants.Errors.UnauthorizedClient,
        OpenIddictConstants.Errors.ConsentRequired,
        OpenIddictConstants.Errors.InteractionRequired,
        OpenIddictConstants.Errors.LoginRequired,
        OpenIddictConstants.Errors.AccessDenied,
    };

    private readonly Lock gate = new();
    private readonly Dictionary<Guid, Task<string>> renewals = [];
    private int tokenRequests;

    /// <summary>Token requests sent to providers by this process (renewals and app-only grants), for tests and diagnostics.</summary>
    public int TokenRequests => Volatile.Read(ref tokenRequests);

    /// <summary>
    /// A usable access token of the grant: the stored one while it is valid for longer than <c>OAuth:RefreshAhead</c>,
    /// otherwise a renewed one. Throws <see cref="OAuthReconnectNeededException"/> for a dead grant and
    /// <see cref="OAuthTokenUnavailableException"/> when the provider cannot be asked now.
    /// </summary>
    internal async Task<string> GetAccessTokenAsync(Guid tenantId, Guid grantId, CancellationToken ct)
    {
        var grant = await LoadAsync(tenantId, grantId, ct);
        if (IsFresh(grant))
        {
            return Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected, grant);
        }
        return await RenewOnceAsync(tenantId, grantId, rejected: null, ct);
    }

    /// <summary>
    /// A new access token after a server refused <paramref name="rejected"/>. When another caller already renewed it,
    /// that token is returned without a second request.
    /// </summary>
    internal Task<string> RenewAsync(Guid tenantId, Guid grantId, string rejected, CancellationToken ct) =>
        RenewOnceAsync(tenantId, grantId, rejected, ct);

    /// <summary>The grant's expiry and address as stored, for the dialog's "Signed in as" line.</summary>
    internal async Task<OAuthGrantInfo?> DescribeAsync(Guid tenantId, Guid grantId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var grant = await db.OAuthGrants.AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId && g.TenantId == tenantId, ct);
        return grant is null ? null : Describe(grant);
    }

    internal OAuthGrantInfo Describe(OAuthGrant g) => new(g.Id, g.ProviderName, catalog.DisplayNameOf(g.ProviderName), g.Flow, g.Address,
        g.AccessTokenExpiresAt, g.Status, g.Problem, g.ProblemAt);

    /// <summary>
    /// App-only access (client credentials): asks the provider for a token for the app itself now, so the dialog can say
    /// at once whether the app registration works, and stores it as a pending grant of the record.
    /// </summary>
    internal async Task<OAuthGrant> CreateAppOnlyGrantAsync(Guid tenantId, string? userId, OAuthProvider provider, OAuthTargetKind kind,
        int? recordId, string mailbox, CancellationToken ct)
    {
        var token = await RequestAppOnlyAsync(provider.Name, provider, ct);
        var now = Now;
        var grant = new OAuthGrant
        {
            Id = Guid.NewGuid(),
            TenantId = tenantId,
            ProviderName = provider.Name,
            Flow = OAuthGrantFlow.AppOnly,
            TargetKind = kind,
            IntendedRecordId = recordId,
            Address = mailbox,
            AccessTokenProtected = secrets.Protect(SecretKind.OAuthAccessToken, token.AccessToken),
            AccessTokenExpiresAt = token.ExpiresAt,
            Status = OAuthGrantStatus.Active,
            CreatedByUserId = userId,
            CreatedAt = now,
            UpdatedAt = now,
            RefreshedAt = now,
            PendingUntil = now + options.Value.SignInTimeout,
        };
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        db.OAuthGrants.Add(grant);
        await db.SaveChangesAsync(ct);
        return grant;
    }

    private bool IsFresh(OAuthGrant grant) =>
        grant.AccessTokenExpiresAt is not { } expires || expires - options.Value.RefreshAhead > Now;

    private async Task<string> RenewOnceAsync(Guid tenantId, Guid grantId, string? rejected, CancellationToken ct)
    {
        Task<string> renewal;
        lock (gate)
        {
            if (!renewals.TryGetValue(grantId, out renewal!))
            {
                // Not tied to one caller's token: the others waiting on it must not be cancelled with it.
                renewal = Task.Run(() => RenewCoreAsync(tenantId, grantId, rejected), CancellationToken.None);
                renewals[grantId] = renewal;
                _ = renewal.ContinueWith(_ =>
                {
                    lock (gate)
                    {
                        renewals.Remove(grantId);
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        return await renewal.WaitAsync(ct);
    }

    /// <summary>How long a renewal waits for another node's renewal of the same grant before it gives up for now.</summary>
    private static readonly TimeSpan RenewalLeaseWait = TimeSpan.FromMinutes(1);

    private async Task<string> RenewCoreAsync(Guid tenantId, Guid grantId, string? rejected)
    {
        ClusterLease lease;
        try
        {
            using var wait = new CancellationTokenSource(RenewalLeaseWait, clock);
            lease = await leases.AcquireAsync(LeaseKey.ForName("oauth-refresh", grantId.ToString("N")), wait.Token);
        }
        catch (Exception ex) when (ex is LeaseUnavailableException or OperationCanceledException)
        {
            throw new OAuthTokenUnavailableException("The access token could not be renewed now: another node's renewal of it did not end in time, or the database is unreachable. The next attempt tries again.");
        }
        await using (lease)
        {
            return await RenewUnderLeaseAsync(tenantId, grantId, rejected);
        }
    }

    private async Task<string> RenewUnderLeaseAsync(Guid tenantId, Guid grantId, string? rejected)
    {
        var grant = await LoadAsync(tenantId, grantId, CancellationToken.None);
        var current = Unprotect(SecretKind.OAuthAccessToken, grant.AccessTokenProtected, grant);
        // Renewed meanwhile by another caller (or another run): use that token, ask the provider nothing.
        if (rejected is null ? IsFresh(grant) : !string.Equals(current, rejected, StringComparison.Ordinal))
        {
            return current;
        }
        var provider = catalog.Find(grant.ProviderName);
        if (provider is null)
        {
            throw new OAuthTokenUnavailableException(
                $"The OAuth provider \"{grant.ProviderName}\" is no longer configured (OAuth:Providers:{grant.ProviderName}), so no new access token can be had.");
        }

        (string AccessToken, DateTime? ExpiresAt, string? RefreshToken) renewed;
        if (grant.Flow == OAuthGrantFlow.AppOnly)
        {
            var token = await RequestAppOnlyAsync(grant.ProviderName, provider, CancellationToken.None, grant);
            renewed = (token.AccessToken, token.ExpiresAt, null);
        }
        else
        {
            var refresh = grant.RefreshTokenProtected is null ? null : Unprotect(SecretKind.OAuthRefreshToken, grant.RefreshTokenProtected, grant);
            if (refresh is null)
            {
                throw await DiedAsync(grant, "the provider gave no refresh token, so the access token cannot be renewed");
            }
            renewed = await RequestRefreshAsync(grant, provider, refresh);
        }

        var now = Now;
        // The rotated refresh token first and always: the old one is refused from now on. Stored without the caller's
        // token, since a cancelled caller must not leave the grant with a refresh token the provider already retired.
        var accessProtected = secrets.Protect(SecretKind.OAuthAccessToken, renewed.AccessToken);
        var refreshProtected = renewed.RefreshToken is null ? grant.RefreshTokenProtected : secrets.Protect(SecretKind.OAuthRefreshToken, renewed.RefreshToken);
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, CancellationToken.None))
        {
            await db.OAuthGrants.Where(g => g.Id == grantId && g.TenantId == tenantId).ExecuteUpdateAsync(s => s
                .SetProperty(g => g.AccessTokenProtected, accessProtected)
                .SetProperty(g => g.AccessTokenExpiresAt, renewed.ExpiresAt)
                .SetProperty(g => g.RefreshTokenProtected, refreshProtected)
                .SetProperty(g => g.RefreshedAt, now)
                .SetProperty(g => g.UpdatedAt, now), CancellationToken.None);
        }
        logger.LogInformation("Renewed the OAuth access token of grant {GrantId} ({Provider}, tenant {TenantId}); refresh token {Rotation}; valid until {ExpiresAt:u}",
            grantId, grant.ProviderName, tenantId, renewed.RefreshToken is null ? "kept" : "rotated", renewed.ExpiresAt);
        return renewed.AccessToken;
    }

    private async Task<(string, DateTime?, string?)> RequestRefreshAsync(OAuthGrant grant, OAuthProvider provider, string refreshToken)
    {
        Interlocked.Increment(ref tokenRequests);
        var scrubber = new SecretScrubber([refreshToken]);
        try
        {
            var result = await client.AuthenticateWithRefreshTokenAsync(new OpenIddictClientModels.RefreshTokenAuthenticationRequest
            {
                ProviderName = grant.ProviderName,
                RefreshToken = refreshToken,
                // The id token and userinfo are not needed to renew, and Microsoft's userinfo refuses Outlook tokens.
                DisableUserInfo = true,
            });
            return (result.AccessToken, ExpiryOf(result.AccessTokenExpirationDate), string.IsNullOrEmpty(result.RefreshToken) ? null : result.RefreshToken);
        }
        catch (OpenIddictExceptions.ProtocolException ex) when (ex.Error is { } error && DeadGrantErrors.Contains(error))
        {
            throw await DiedAsync(grant, scrubber.Scrub(Describe(ex)));
        }
        catch (Exception ex) when (ex is OpenIddictExceptions.ProtocolException or HttpRequestException or InvalidOperationException
                                       or OperationCanceledException or TimeoutException or IOException)
        {
            var reason = scrubber.Scrub(ex is OpenIddictExceptions.ProtocolException protocol ? Describe(protocol) : ex.Message);
            logger.LogWarning("Renewing the OAuth access token of grant {GrantId} ({Provider}) failed: {Reason}", grant.Id, provider.Name, reason);
            throw new OAuthTokenUnavailableException(
                $"{provider.DisplayName} did not renew the access token ({reason}). The next attempt tries again.");
        }
    }

    private async Task<(string AccessToken, DateTime? ExpiresAt)> RequestAppOnlyAsync(string name, OAuthProvider provider, CancellationToken ct,
        OAuthGrant? grant = null)
    {
        Interlocked.Increment(ref tokenRequests);
        try
        {
            var result = await client.AuthenticateWithClientCredentialsAsync(new OpenIddictClientModels.ClientCredentialsAuthenticationRequest
            {
                ProviderName = name,
                Scopes = [.. provider.AppOnlyScopes],
                CancellationToken = ct,
            });
            return (result.AccessToken, ExpiryOf(result.AccessTokenExpirationDate));
        }
        catch (OpenIddictExceptions.ProtocolException ex) when (grant is not null && ex.Error is { } error
                                                                 && (DeadGrantErrors.Contains(error) || error == OpenIddictConstants.Errors.InvalidClient))
        {
            throw await DiedAsync(grant, Describe(ex));
        }
        catch (Exception ex) when (ex is OpenIddictExceptions.ProtocolException or HttpRequestException or InvalidOperationException
                                       or TimeoutException or IOException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var reason = ex is OpenIddictExceptions.ProtocolException protocol ? Describe(protocol) : ex.Message;
            throw new OAuthTokenUnavailableException($"{provider.DisplayName} did not issue an app-only access token ({reason}).", ex);
        }
    }

    /// <summary>Marks the grant dead (once) and tells the sinks; returns the exception for the caller to throw.</summary>
    private async Task<OAuthReconnectNeededException> DiedAsync(OAuthGrant grant, string reason)
    {
        var display = catalog.DisplayNameOf(grant.ProviderName);
        var now = Now;
        var problem = Cut(reason);
        int flipped;
        string? recordName;
        await using (var db = await dbFactory.CreateForTenantAsync(grant.TenantId, CancellationToken.None))
        {
            flipped = await db.OAuthGrants
                .Where(g => g.Id == grant.Id && g.TenantId == grant.TenantId && g.Status == OAuthGrantStatus.Active)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(g => g.Status, OAuthGrantStatus.ReconnectNeeded)
                    .SetProperty(g => g.Problem, problem)
                    .SetProperty(g => g.ProblemAt, now)
                    .SetProperty(g => g.UpdatedAt, now), CancellationToken.None);
            recordName = grant.EmailAccountId is { } accountId
                ? await db.EmailAccounts.Where(a => a.Id == accountId).Select(a => a.DisplayName).FirstOrDefaultAsync()
                : grant.MailServerId is { } serverId
                    ? await db.MailServers.Where(s => s.Id == serverId).Select(s => s.Name).FirstOrDefaultAsync()
                    : null;
        }
        logger.LogWarning("OAuth grant {GrantId} ({Provider}, tenant {TenantId}) needs a new sign-in: {Reason}", grant.Id, grant.ProviderName, grant.TenantId, reason);
        if (flipped == 1 && (grant.EmailAccountId ?? grant.MailServerId) is { } recordId)
        {
            await NotifyAsync(new OAuthGrantProblem(grant.TenantId, grant.TargetKind, recordId, recordName ?? "", grant.ProviderName, display, reason, now),
                (sink, p) => sink.ReconnectNeededAsync(p, CancellationToken.None));
        }
        return new OAuthReconnectNeededException(display, reason);
    }

    /// <summary>A Reconnect replaced a dead grant of the record: the sinks hear it once.</summary>
    internal Task ReconnectedAsync(OAuthGrantProblem recovered) =>
        NotifyAsync(recovered, (sink, p) => sink.ReconnectedAsync(p, CancellationToken.None));

    private async Task NotifyAsync(OAuthGrantProblem problem, Func<IOAuthProblemSink, OAuthGrantProblem, Task> call)
    {
        // Resolved when needed, not injected: the sync scheduler is a sink and (through the sync engine) a user of this service.
        foreach (var sink in services.GetServices<IOAuthProblemSink>())
        {
            try
            {
                await call(sink, problem);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "OAuth problem sink {Sink} failed for {TargetKind} {RecordId}", sink.GetType().Name, problem.TargetKind, problem.RecordId);
            }
        }
    }

    private async Task<OAuthGrant> LoadAsync(Guid tenantId, Guid grantId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var grant = await db.OAuthGrants.AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId && g.TenantId == tenantId, ct)
            ?? throw new OAuthReconnectNeededException("The provider", "no sign-in is stored for it any more");
        if (grant.Status == OAuthGrantStatus.ReconnectNeeded)
        {
            throw new OAuthReconnectNeededException(catalog.DisplayNameOf(grant.ProviderName), grant.Problem ?? "the sign-in was refused earlier");
        }
        return grant;
    }

    private string Unprotect(SecretKind kind, string protectedValue, OAuthGrant grant)
    {
        try
        {
            return secrets.Unprotect(kind, protectedValue);
        }
        catch (CryptographicException)
        {
            logger.LogWarning("The stored OAuth tokens of grant {GrantId} cannot be decrypted (Data Protection keys changed?)", grant.Id);
            throw new OAuthReconnectNeededException(catalog.DisplayNameOf(grant.ProviderName), "the stored tokens can no longer be decrypted");
        }
    }

    private static string Describe(OpenIddictExceptions.ProtocolException ex) =>
        string.IsNullOrWhiteSpace(ex.ErrorDescription) ? ex.Error ?? ex.Message : $"{ex.Error}: {ex.ErrorDescription}";

    private static DateTime? ExpiryOf(DateTimeOffset? expires) => expires?.UtcDateTime;

    private static string Cut(string text) => text.Length <= Common.FieldRules.ErrorTextMaxLength ? text : text[..Common.FieldRules.ErrorTextMaxLength];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
