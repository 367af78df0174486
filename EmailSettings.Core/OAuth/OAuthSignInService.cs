using System.Collections.Concurrent;
using System.Security.Cryptography;
using EmailSettings.Core.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Secrets;
using EmailSettings.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.OAuth;

/// <summary>What a waiting dialog hears: the grant signed in, or why not.</summary>
public sealed record OAuthSignInResult(OAuthGrantInfo? Grant, string? Error)
{
    public bool Succeeded => Grant is not null;
}

/// <summary>What the provider's callback gave the portal once OpenIddict validated the state and redeemed the code.</summary>
public sealed record OAuthSignedIn(string AccessToken, DateTimeOffset? AccessTokenExpiresAt, string? RefreshToken, string? Address);

/// <summary>What the callback page tells the admin.</summary>
public sealed record OAuthCallbackOutcome(bool Succeeded, string Message);

/// <summary>Wakes the dialog waiting on a handle when its sign-in completes in this process (others poll the database).</summary>
public sealed class OAuthSignInNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiting = new(StringComparer.Ordinal);

    internal Task WhenSignaled(string handle) =>
        waiting.GetOrAdd(handle, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal void Signal(string handle)
    {
        if (waiting.TryRemove(handle, out var done))
        {
            done.TrySetResult();
        }
    }

    internal void Forget(string handle) => waiting.TryRemove(handle, out _);
}

/// <summary>
/// The OAuth2 sign-in of a mail server or an email account, in the caller's tenant. The dialog (or the card's
/// Reconnect) opens the portal's start endpoint in a popup window with a random handle; <see cref="BeginAsync"/>
/// records the attempt (tenant, signed-in admin, record, provider, expiry) and the endpoint sends the admin to the
/// provider with OpenIddict's challenge (PKCE, a state token protected by Data Protection and bound to the browser by
/// a correlation cookie). The callback endpoint hands what OpenIddict validated to <see cref="CompleteAsync"/>, which
/// checks the attempt once more and completes it exactly once, storing the tokens encrypted in a pending grant; the
/// dialog, still open in the circuit behind the popup, hears it through <see cref="WaitAsync"/> and keeps the grant's
/// id until it is saved.
/// </summary>
public sealed class OAuthSignInService(
    IDbContextFactory<EmailSettingsDbContext> dbFactory,
    ITenantContext tenant,
    OAuthProviderCatalog catalog,
    IOptions<OAuthOptions> options,
    SecretProtector secrets,
    OAuthSignInNotifier notifier,
    OAuthTokenService tokens,
    TimeProvider clock,
    ILogger<OAuthSignInService> logger)
{
    public const string ForgedMessage =
        "This sign-in answer was not issued for a sign-in started by this portal, or it was changed on the way. Nothing was saved; start the sign-in again from the dialog.";
    public const string ReplayedMessage =
        "This sign-in answer was already used, or it belongs to a sign-in started in another browser. Nothing was changed; close this window.";
    public const string ExpiredMessage =
        "This sign-in took too long and has expired. Nothing was saved; start the sign-in again from the dialog.";
    public const string OtherUserMessage =
        "This sign-in was started by another portal user. Nothing was saved; sign in to the portal as that user or start again.";
    public const string DeclinedMessage = "The sign-in was cancelled at the provider, so nothing was saved. Start it again to give consent.";
    public const string UnknownProviderMessage = "This OAuth provider is not configured. Choose another sign-in method.";

    /// <summary>How often a waiting dialog looks in the database, for a callback that another node answered.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>The providers offered in dialogs (those configured with a client id).</summary>
    public IReadOnlyList<OAuthProvider> Providers => catalog.All;

    public OAuthProvider? FindProvider(string? name) => catalog.Find(name);

    /// <summary>The redirection endpoint's path, to show beside the absolute URL the admin registers.</summary>
    public string RedirectPath => options.Value.RedirectPath;

    /// <summary>A new unguessable handle for one sign-in of a dialog.</summary>
    public static string NewHandle() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Records a sign-in attempt for the signed-in admin, or says why not. Called by the start endpoint, which then
    /// challenges the provider with the attempt's id in the state.
    /// </summary>
    public async Task<Result<Guid>> BeginAsync(string? providerName, OAuthTargetKind kind, int? recordId, string? handle, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var userId = tenant.UserId ?? throw new TenantAccessDeniedException("Sign in to the portal to connect a mailbox.");
        if (catalog.Find(providerName) is not { } provider)
        {
            return Result<Guid>.Invalid("Provider", UnknownProviderMessage);
        }
        if (string.IsNullOrWhiteSpace(handle) || handle.Length is < 16 or > FieldRules.HandleMaxLength)
        {
            return Result<Guid>.Invalid("Handle", "Open the sign-in from the dialog's button.");
        }
        var now = Now;
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        if (recordId is { } id && !await RecordExistsAsync(db, tenantId, kind, id, ct))
        {
            return Result<Guid>.NotFound(kind == OAuthTargetKind.MailServer ? "This mail server no longer exists." : "This email account no longer exists.");
        }
        // Leftovers: attempts a day past their expiry and grants of dialogs that were never saved.
        await db.OAuthSignInAttempts.Where(a => a.TenantId == tenantId && a.ExpiresAt < now.AddDays(-1)).ExecuteDeleteAsync(ct);
        await db.OAuthGrants.Where(g => g.TenantId == tenantId && g.PendingUntil != null && g.PendingUntil < now).ExecuteDeleteAsync(ct);
        if (await db.OAuthSignInAttempts.AnyAsync(a => a.Handle == handle, ct))
        {
            return Result<Guid>.Invalid("Handle", "This sign-in was already started. Use the dialog's button to start another.");
        }
        var attempt = new OAuthSignInAttempt
        {
            Id = Guid.NewGuid(),
            Handle = handle,
            TenantId = tenantId,
            UserId = userId,
            ProviderName = provider.Name,
            TargetKind = kind,
            RecordId = recordId,
            CreatedAt = now,
            ExpiresAt = now + options.Value.SignInTimeout,
        };
        db.OAuthSignInAttempts.Add(attempt);
        await db.SaveChangesAsync(ct);
        logger.LogInformation("OAuth sign-in {AttemptId} with {Provider} started for {TargetKind} {RecordId} in tenant {TenantId}",
            attempt.Id, provider.Name, kind, recordId, tenantId);
        return Result<Guid>.Ok(attempt.Id);
    }

    /// <summary>
    /// Completes the attempt named in the validated state, exactly once, for the admin who started it, before it
    /// expires: stores the tokens encrypted in a pending grant and wakes the dialog. Anything else is refused with a
    /// message for the callback page, and nothing is stored.
    /// </summary>
    public async Task<OAuthCallbackOutcome> CompleteAsync(Guid? attemptId, OAuthSignedIn signedIn, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        var (attempt, refusal) = await FindAttemptAsync(tenantId, attemptId, ct);
        if (attempt is null)
        {
            return new(false, refusal!);
        }
        var now = Now;
        var grant = new OAuthGrant
        {
            Id = Guid.NewGuid(),
            TenantId = tenantId,
            ProviderName = attempt.ProviderName,
            Flow = OAuthGrantFlow.Delegated,
            TargetKind = attempt.TargetKind,
            IntendedRecordId = attempt.RecordId,
            Address = Cut(signedIn.Address, FieldRules.EmailMaxLength),
            AccessTokenProtected = secrets.Protect(SecretKind.OAuthAccessToken, signedIn.AccessToken),
            AccessTokenExpiresAt = signedIn.AccessTokenExpiresAt?.UtcDateTime,
            RefreshTokenProtected = string.IsNullOrEmpty(signedIn.RefreshToken) ? null : secrets.Protect(SecretKind.OAuthRefreshToken, signedIn.RefreshToken),
            Status = OAuthGrantStatus.Active,
            CreatedByUserId = attempt.UserId,
            CreatedAt = now,
            UpdatedAt = now,
            PendingUntil = now + options.Value.SignInTimeout,
        };
        await using (var db = await dbFactory.CreateForTenantAsync(tenantId, ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The single use: only the request that moves CompletedAt from null completes the attempt.
            var won = await db.OAuthSignInAttempts
                .Where(a => a.Id == attempt.Id && a.TenantId == tenantId && a.CompletedAt == null && a.ExpiresAt > now)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.CompletedAt, now).SetProperty(a => a.GrantId, grant.Id), ct);
            if (won == 0)
            {
                return new(false, ReplayedMessage);
            }
            db.OAuthGrants.Add(grant);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        notifier.Signal(attempt.Handle);
        logger.LogInformation("OAuth sign-in {AttemptId} with {Provider} completed: grant {GrantId} (refresh token {HasRefresh})",
            attempt.Id, attempt.ProviderName, grant.Id, grant.RefreshTokenProtected is null ? "none" : "stored");
        var who = grant.Address is null ? "" : $" as {grant.Address}";
        return new(true, $"Signed in{who} with {catalog.DisplayNameOf(grant.ProviderName)}. You can close this window; the dialog shows the sign-in.");
    }

    /// <summary>
    /// A callback OpenIddict refused (forged, replayed or expired state) or the provider's error: the message for the
    /// page, also recorded on the attempt when the state named one of the caller's, so the waiting dialog shows it.
    /// </summary>
    public async Task<string> FailAsync(Guid? attemptId, string? error, string? description, CancellationToken ct)
    {
        var message = DescribeFailure(error, description);
        var tenantId = tenant.TenantId;
        if (attemptId is { } id && tenantId is { } t && tenant.UserId is { } userId)
        {
            await using var db = await dbFactory.CreateForTenantAsync(t, ct);
            var handle = await db.OAuthSignInAttempts.Where(a => a.Id == id && a.TenantId == t && a.UserId == userId && a.CompletedAt == null)
                .Select(a => a.Handle).FirstOrDefaultAsync(ct);
            if (handle is not null)
            {
                var now = Now;
                await db.OAuthSignInAttempts.Where(a => a.Id == id && a.CompletedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.CompletedAt, now).SetProperty(a => a.Error, message), ct);
                notifier.Signal(handle);
            }
        }
        logger.LogWarning("OAuth sign-in callback refused ({Error}): {Description}", error, description);
        return message;
    }

    /// <summary>The admin-facing reading of OpenIddict's and the provider's errors.</summary>
    public static string DescribeFailure(string? error, string? description)
    {
        var text = description ?? "";
        return error switch
        {
            "access_denied" => DeclinedMessage,
            _ when text.Contains("no longer valid", StringComparison.OrdinalIgnoreCase) => ExpiredMessage,
            _ when text.Contains("correlation cookie", StringComparison.OrdinalIgnoreCase)
                || text.Contains("request forgery", StringComparison.OrdinalIgnoreCase) => ReplayedMessage,
            _ when text.Contains("state", StringComparison.OrdinalIgnoreCase) || error is null or "invalid_request" or "invalid_token" => ForgedMessage,
            _ => $"The provider refused the sign-in ({error}{(text.Length > 0 ? ": " + text : "")}). Nothing was saved; start it again from the dialog.",
        };
    }

    /// <summary>
    /// Waits until the sign-in of <paramref name="handle"/> ends (completed or failed) and returns how, or null when
    /// <paramref name="ct"/> ends the wait first. Only the admin who started it, in its tenant, hears the result.
    /// </summary>
    public async Task<OAuthSignInResult?> WaitAsync(string handle, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var signaled = notifier.WhenSignaled(handle);
                if (await ResultAsync(tenantId, handle, ct) is { } result)
                {
                    return result;
                }
                await Task.WhenAny(signaled, Task.Delay(PollInterval, clock, ct));
            }
            return null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            notifier.Forget(handle);
        }
    }

    /// <summary>Connects app-only (client credentials) for a shared mailbox: a pending grant, as a completed sign-in makes.</summary>
    public async Task<Result<OAuthGrantInfo>> ConnectAppOnlyAsync(string? providerName, OAuthTargetKind kind, int? recordId, string? mailbox, CancellationToken ct)
    {
        var tenantId = tenant.RequireTenantAdmin();
        if (catalog.Find(providerName) is not { AppOnly: true } provider)
        {
            return Result<OAuthGrantInfo>.Invalid("Provider", UnknownProviderMessage);
        }
        if (FieldRules.Email(mailbox, "The mailbox") is { } invalid)
        {
            return Result<OAuthGrantInfo>.Invalid("Username", $"{invalid} App-only access opens the mailbox named in the username.");
        }
        try
        {
            var grant = await tokens.CreateAppOnlyGrantAsync(tenantId, tenant.UserId, provider, kind, recordId, mailbox!.Trim(), ct);
            return Result<OAuthGrantInfo>.Ok(tokens.Describe(grant));
        }
        catch (OAuthTokenUnavailableException ex)
        {
            return Result<OAuthGrantInfo>.Invalid("Provider", ex.Message);
        }
    }

    private async Task<OAuthSignInResult?> ResultAsync(Guid tenantId, string handle, CancellationToken ct)
    {
        var userId = tenant.UserId;
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var attempt = await db.OAuthSignInAttempts.AsNoTracking()
            .Where(a => a.Handle == handle && a.TenantId == tenantId && a.UserId == userId)
            .Select(a => new { a.CompletedAt, a.GrantId, a.Error, a.ExpiresAt })
            .FirstOrDefaultAsync(ct);
        if (attempt is null)
        {
            return null;
        }
        if (attempt.CompletedAt is null)
        {
            return attempt.ExpiresAt <= Now ? new(null, ExpiredMessage) : null;
        }
        if (attempt.GrantId is not { } grantId)
        {
            return new(null, attempt.Error ?? ForgedMessage);
        }
        var grant = await db.OAuthGrants.AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId && g.TenantId == tenantId, ct);
        return grant is null ? new(null, ExpiredMessage) : new(tokens.Describe(grant), null);
    }

    private async Task<(OAuthSignInAttempt? Attempt, string? Refusal)> FindAttemptAsync(Guid tenantId, Guid? attemptId, CancellationToken ct)
    {
        if (attemptId is not { } id)
        {
            return (null, ForgedMessage);
        }
        await using var db = await dbFactory.CreateForTenantAsync(tenantId, ct);
        var attempt = await db.OAuthSignInAttempts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && a.TenantId == tenantId, ct);
        return attempt switch
        {
            null => (null, ForgedMessage),
            _ when !string.Equals(attempt.UserId, tenant.UserId, StringComparison.Ordinal) => (null, OtherUserMessage),
            { CompletedAt: not null } => (null, ReplayedMessage),
            _ when attempt.ExpiresAt <= Now => (null, ExpiredMessage),
            _ => (attempt, null),
        };
    }

    private static Task<bool> RecordExistsAsync(EmailSettingsDbContext db, Guid tenantId, OAuthTargetKind kind, int id, CancellationToken ct) =>
        kind == OAuthTargetKind.MailServer
            ? db.MailServers.AnyAsync(s => s.Id == id && s.TenantId == tenantId, ct)
            : db.EmailAccounts.AnyAsync(a => a.Id == id && a.TenantId == tenantId, ct);

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
