using System.Security.Cryptography;
using EmailSettings.Core.Connections;
using EmailSettings.Core.Data;
using MailKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace EmailSettings.Core.Sync.Push;

/// <summary>What an account's watcher is doing.</summary>
public enum WatcherState
{
    /// <summary>Claiming the account, connecting, signing in, opening INBOX.</summary>
    Connecting,

    /// <summary>IDLE on INBOX: the server reports new mail and flag changes at once, scheduled polls are skipped.</summary>
    Idling,

    /// <summary>The connection dropped; waiting to connect again (scheduled polls run meanwhile).</summary>
    Reconnecting,

    Stopped,
}

/// <summary>Why a watcher ended.</summary>
internal enum WatcherEnd
{
    /// <summary>Asked to stop (account saved or deleted, shutdown), or its lease was lost.</summary>
    Stopped,

    /// <summary>The account is gone, has no complete IMAP settings, does not sync INBOX, or Push (IDLE) is off.</summary>
    NotWanted,

    /// <summary>The server does not offer IDLE: polling only, until the account is saved again.</summary>
    IdleNotOffered,

    /// <summary>Sign-in, TLS or INBOX failed: the poll schedule (with its back-off and alerts) takes over until a sync works.</summary>
    NeedsWorkingSync,

    /// <summary>Another node holds the account.</summary>
    OwnedElsewhere,
}

/// <summary>
/// The idle connection of one account: connects through the connection layer (same TLS, pinning, single SASL
/// attempt, time limits and scrubbing as every session), opens INBOX read-only and IDLEs on it, re-issuing IDLE every
/// <see cref="SyncOptions.IdleRefresh"/>. New mail, expunges and flag changes make one sync through
/// <see cref="SyncCoordinator"/> (bursts coalesce); a dropped connection is made again with a jittered, capped back-off.
/// </summary>
/// <remarks>
/// Cheap by design, as hundreds run at once: no DI scope, one task for the connection (plus one while a push runs),
/// one timer while idling (the refresh) or waiting (the back-off), MailKit's client and socket.
/// </remarks>
internal sealed class IdleWatcher
{
    /// <summary>Time for DONE and LOGOUT when asked to stop; then the session is cut.</summary>
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(5);

    private readonly IdleWatchers owner;
    private readonly CancellationTokenSource stop = new();
    private readonly CancellationTokenSource abort = new();
    private readonly Lock gate = new();
    private CancellationTokenSource? idleDone;
    private CancellationTokenSource? wake;
    private bool pushing;
    private bool dirty;
    private Task pushTask = Task.CompletedTask;
    private Task run = Task.CompletedTask;

    public IdleWatcher(IdleWatchers owner, Guid tenantId, int accountId, int number)
    {
        this.owner = owner;
        TenantId = tenantId;
        AccountId = accountId;
        Number = number;
    }

    /// <summary>Which of the node's watchers this is (1, 2, ... in the order they started): a restart gets a new number.</summary>
    public int Number { get; }

    public Guid TenantId { get; }
    public int AccountId { get; }
    public WatcherState State { get; private set; } = WatcherState.Connecting;

    /// <summary>How many times this watcher reached IDLE (1 after connecting, 2 after the first reconnect, ...).</summary>
    public int Sessions { get; private set; }

    private ILogger Log => owner.Logger;

    public void Start() => run = Task.Run(RunAsync, CancellationToken.None);

    /// <summary>Stops the watcher: DONE and LOGOUT when idling, the session cut after a few seconds at most.</summary>
    public async Task StopAsync()
    {
        RequestStop();
        await run;
    }

    /// <summary>Ends a reconnect wait early: a sync just worked, so the server is back.</summary>
    public void Wake()
    {
        lock (gate)
        {
            wake?.Cancel();
        }
    }

    private void RequestStop()
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }
            stop.Cancel();
            wake?.Cancel();
            if (idleDone is { } done)
            {
                // MailKit sends DONE from this token's callback; IdleAsync then returns and the loop says LOGOUT.
                // (With TLS, the done token must end IDLE before the cancellation token does.)
                done.Cancel();
            }
            else
            {
                abort.Cancel();
            }
            abort.CancelAfter(GracefulStop);
        }
    }

    private async Task RunAsync()
    {
        var end = WatcherEnd.Stopped;
        try
        {
            var lease = await owner.Ownership.TryAcquireAsync(TenantId, AccountId, stop.Token);
            if (lease is null)
            {
                end = WatcherEnd.OwnedElsewhere;
                return;
            }
            await using (lease)
            {
                using var lost = lease.Lost.Register(static s => ((IdleWatcher)s!).RequestStop(), this);
                end = await WatchAsync();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            end = WatcherEnd.Stopped;
        }
        catch (Exception ex)
        {
            // A bug or a database failure: the poll schedule carries on, the next good sync starts a new watcher.
            Log.LogError(ex, "The idle connection of account {AccountId} stopped unexpectedly", AccountId);
            end = WatcherEnd.NeedsWorkingSync;
        }
        finally
        {
            State = WatcherState.Stopped;
            RequestStop();
            await pushTask;
            // The two sources are not disposed: cancelling one runs the awaiting code inline, so this block can run
            // inside a RequestStop that has not finished with them yet. They hold no linked registrations, and the
            // pending CancelAfter timer only cancels an abandoned source.
            owner.OnEnded(this, end);
        }
    }

    /// <summary>Sessions one after another, with the back-off between them, until stopped or told to give up.</summary>
    private async Task<WatcherEnd> WatchAsync()
    {
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            var sessionsBefore = Sessions;
            var (end, problem) = await SessionAsync();
            if (end is not null)
            {
                return end.Value;
            }
            if (stop.IsCancellationRequested)
            {
                break;
            }
            attempt = Sessions > sessionsBefore ? 1 : attempt + 1;
            var delay = owner.ReconnectDelay(attempt);
            State = WatcherState.Reconnecting;
            Log.LogInformation("The idle connection of account {AccountId} dropped ({Problem}); polling meanwhile, reconnecting in {Delay:0.0} s",
                AccountId, problem, delay.TotalSeconds);
            await WaitAsync(delay);
        }
        return WatcherEnd.Stopped;
    }

    /// <summary>One connection: null end when it dropped (reconnect), otherwise why the watcher ends.</summary>
    private async Task<(WatcherEnd? End, string? Problem)> SessionAsync()
    {
        State = WatcherState.Connecting;
        EmailAccounts.EmailAccount? account;
        bool syncsInbox;
        await using (var db = await owner.DbFactory.CreateForTenantAsync(TenantId, stop.Token))
        {
            account = await db.EmailAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == AccountId && a.TenantId == TenantId, stop.Token);
            // An account made before folders existed has no folder rows yet and syncs INBOX; one whose admin chose
            // other folders only has nothing to hear about on INBOX, so it is polled.
            syncsInbox = account is not null && await SyncsInboxAsync(db);
        }
        if (account is not { IsImapConfigured: true, PushEnabled: true } || !syncsInbox)
        {
            return (WatcherEnd.NotWanted, null);
        }
        MailCredential credential;
        try
        {
            credential = await ImapAccountSession.CredentialAsync(account, owner.Credentials, owner.Secrets, stop.Token);
        }
        catch (CryptographicException)
        {
            return (WatcherEnd.NeedsWorkingSync, "the stored password cannot be decrypted");
        }
        catch (OAuth.OAuthReconnectNeededException)
        {
            // A dead grant: the account's card already says Reconnect needed; the watcher waits for the reconnect's sync.
            return (WatcherEnd.NeedsWorkingSync, "the OAuth2 sign-in must be reconnected");
        }

        var settings = owner.Options;
        using var connection = new ImapMailConnection(ImapAccountSession.Endpoint(account), credential,
            MailTimeLimit.PerCommand(settings.Timeout, owner.Clock, abort.Token));
        IMailFolder? inbox = null;
        try
        {
            await connection.ConnectAsync();
            if (await connection.SignInAsync() is { } refusal)
            {
                Log.LogWarning("No idle connection for account {AccountId}: {Problem}", AccountId, refusal.Message);
                return (WatcherEnd.NeedsWorkingSync, refusal.Message);
            }
            if (!connection.SupportsIdle)
            {
                Log.LogInformation("The IMAP server of account {AccountId} does not offer IDLE: the account is polled every {Interval}", AccountId, settings.Interval);
                await connection.QuitAsync(GracefulStop);
                return (WatcherEnd.IdleNotOffered, null);
            }
            inbox = await connection.OpenInboxAsync();
            var snapshot = new MailboxSnapshot(inbox.UidValidity, inbox.UidNext?.Id, inbox.HighestModSeq);
            connection.BeginWork("while waiting for new mail");
            inbox.CountChanged += OnServerNews;
            inbox.MessageFlagsChanged += OnServerNews;
            inbox.MessageExpunged += OnServerNews;
            inbox.MessagesVanished += OnServerNews;
            // While idle the server may stay silent until the refresh (Dovecot says "Still here" every 2 minutes):
            // MailKit's per-read timeout must outlast the refresh, and still ends a connection that died silently.
            connection.Client.Timeout = (int)Math.Min(int.MaxValue, (settings.IdleRefresh + settings.Timeout).TotalMilliseconds);
            Sessions++;
            State = WatcherState.Idling;
            Log.LogInformation("Account {AccountId} is idle on INBOX (session {Session})", AccountId, Sessions);
            // Anything that arrived before this session (while disconnected, or before the first sync) is synced now.
            RequestSync(snapshot);
            while (!stop.IsCancellationRequested)
            {
                using var done = new CancellationTokenSource(settings.IdleRefresh, owner.Clock);
                lock (gate)
                {
                    idleDone = done;
                    if (stop.IsCancellationRequested)
                    {
                        done.Cancel();
                    }
                }
                try
                {
                    await connection.Client.IdleAsync(done.Token, connection.Token);
                }
                finally
                {
                    lock (gate)
                    {
                        idleDone = null;
                    }
                }
            }
            await connection.QuitAsync(GracefulStop);
            return (WatcherEnd.Stopped, null);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            return (WatcherEnd.Stopped, null);
        }
        catch (Exception ex) when (connection.Classify(ex) is { } failure)
        {
            var gone = failure.Kind is ConnectionFailureKind.AuthenticationFailed or ConnectionFailureKind.AuthenticationMechanismNotSupported
                or ConnectionFailureKind.PasswordRequired or ConnectionFailureKind.CertificateNotTrusted or ConnectionFailureKind.TlsHandshakeFailed
                or ConnectionFailureKind.StartTlsNotOffered or ConnectionFailureKind.PortTlsMismatch or ConnectionFailureKind.MailboxUnavailable;
            if (gone)
            {
                // Retrying a refused sign-in every few seconds could lock the mailbox: the poll schedule takes over.
                Log.LogWarning("No idle connection for account {AccountId} until a sync works again: {Problem}", AccountId, failure.Message);
                return (WatcherEnd.NeedsWorkingSync, failure.Message);
            }
            return (null, failure.Message);
        }
        finally
        {
            if (inbox is not null)
            {
                inbox.CountChanged -= OnServerNews;
                inbox.MessageFlagsChanged -= OnServerNews;
                inbox.MessageExpunged -= OnServerNews;
                inbox.MessagesVanished -= OnServerNews;
            }
        }
    }

    private async Task WaitAsync(TimeSpan delay)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        lock (gate)
        {
            wake = waiting;
        }
        try
        {
            await Task.Delay(delay, owner.Clock, waiting.Token);
        }
        catch (OperationCanceledException)
        {
            // Woken early (a sync worked) or stopped: the loop head tells which.
        }
        finally
        {
            lock (gate)
            {
                wake = null;
            }
        }
    }

    private void OnServerNews(object? sender, EventArgs e) => RequestSync(null);

    /// <summary>
    /// Starts the push unless one is under way; then it runs once more when it ends, so any burst makes at most one
    /// sync running and one waiting. <paramref name="catchUp"/>: a new session's state of INBOX, synced unless the
    /// stored sync state already covers it.
    /// </summary>
    private void RequestSync(MailboxSnapshot? catchUp)
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }
            if (pushing)
            {
                dirty = true;
                return;
            }
            pushing = true;
            dirty = false;
            pushTask = Task.Run(() => PushAsync(catchUp), CancellationToken.None);
        }
    }

    private async Task PushAsync(MailboxSnapshot? catchUp)
    {
        try
        {
            bool needed;
            if (catchUp is { } snapshot)
            {
                // A sync already under way may have looked before this session did: let it finish, then compare.
                await owner.Coordinator.WaitForRunningAsync(TenantId, AccountId, stop.Token);
                needed = !await IsCoveredAsync(snapshot);
            }
            else
            {
                await Task.Delay(owner.Options.PushDelay, owner.Clock, stop.Token);
                needed = true;
            }
            while (true)
            {
                if (needed)
                {
                    lock (gate)
                    {
                        dirty = false;
                    }
                    await owner.Coordinator.RunAfterCurrentAsync(TenantId, AccountId, SyncTrigger.Push, stop.Token);
                }
                lock (gate)
                {
                    if (!dirty || stop.IsCancellationRequested)
                    {
                        pushing = false;
                        return;
                    }
                }
                needed = true;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while waiting: the sync itself (if any) carries on or is cancelled by its own owner.
            Log.LogDebug("Push of account {AccountId} stopped", AccountId);
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Push of account {AccountId} failed", AccountId);
        }
        lock (gate)
        {
            pushing = false;
        }
    }

    /// <summary>True when the account syncs INBOX (by choice, or because it has no folder rows yet).</summary>
    private async Task<bool> SyncsInboxAsync(EmailSettingsDbContext db)
    {
        var names = await db.SyncFolders.AsNoTracking().Where(f => f.EmailAccountId == AccountId && f.TenantId == TenantId)
            .Select(f => f.Name).ToListAsync(stop.Token);
        return names.Count == 0 || names.Any(SyncFolder.IsInbox);
    }

    /// <summary>True when INBOX's stored sync state already holds everything the session saw when it opened INBOX.</summary>
    private async Task<bool> IsCoveredAsync(MailboxSnapshot snapshot)
    {
        await using var db = await owner.DbFactory.CreateForTenantAsync(TenantId, stop.Token);
        var state = await db.SyncFolders.AsNoTracking()
            .Where(f => f.EmailAccountId == AccountId && f.TenantId == TenantId && f.Name == SyncFolder.Inbox)
            .Select(f => new { f.UidValidity, f.LastSyncedUid, f.HighestModSeq })
            .FirstOrDefaultAsync(stop.Token);
        return state is not null
            && state.UidValidity == snapshot.UidValidity
            && snapshot.UidNext is { } next && next <= state.LastSyncedUid + 1
            && (snapshot.HighestModSeq == 0 || (state.HighestModSeq is { } known && (ulong)known >= snapshot.HighestModSeq));
    }

    private readonly record struct MailboxSnapshot(uint UidValidity, uint? UidNext, ulong HighestModSeq);
}
