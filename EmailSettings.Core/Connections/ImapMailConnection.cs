using MailKit;
using MailKit.Net.Imap;

namespace EmailSettings.Core.Connections;

/// <summary>What a QRESYNC open sends: the stored UIDVALIDITY and HIGHESTMODSEQ, and the UIDs the copy may hold.</summary>
internal sealed record QuickResyncState(uint UidValidity, ulong HighestModSeq, IList<UniqueId> KnownUids);

/// <summary>An IMAP session of the connection layer (Test Connection, sync, listing folders).</summary>
internal sealed class ImapMailConnection : MailConnection
{
    public ImapMailConnection(MailEndpoint endpoint, MailCredential credential, MailTimeLimit limit)
        : base(endpoint, credential, limit)
    {
        // NullProtocolLogger: a protocol log would record the LOGIN or AUTHENTICATE command, and with it the secret.
        Client = new ImapClient(new NullProtocolLogger())
        {
            Timeout = limit.ClientTimeoutMilliseconds,
            ServerCertificateValidationCallback = Certificate.Validate,
        };
    }

    public override ImapClient Client { get; }

    private bool quickResyncEnabled;

    /// <summary>True once connected to a server that offers IDLE (RFC 2177).</summary>
    public bool SupportsIdle => Client.Capabilities.HasFlag(ImapCapabilities.Idle);

    /// <summary>Opens INBOX read-only (EXAMINE): the server never sets \Seen and nothing is changed.</summary>
    public async Task<IMailFolder> OpenInboxAsync()
    {
        Stage = ConnectionStage.OpeningMailbox;
        var inbox = Client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly, Token);
        return inbox;
    }

    /// <summary>QRESYNC (RFC 7162): a folder opened with its known state reports what was expunged and re-flagged since.</summary>
    public bool OffersQuickResync => Client.Capabilities.HasFlag(ImapCapabilities.QuickResync);

    /// <summary>
    /// Turns on QRESYNC, once per session, before the first folder is opened with its known state. ENABLE is valid only
    /// in the authenticated state, so a folder open now (<paramref name="open"/>) is left with UNSELECT first, which
    /// neither expunges nor changes anything; a server without UNSELECT gets ENABLE right after sign-in instead
    /// (<see cref="EnableQuickResyncEarlyAsync"/>).
    /// </summary>
    public async Task EnableQuickResyncAsync(IMailFolder? open)
    {
        if (quickResyncEnabled)
        {
            return;
        }
        if (open is { IsOpen: true })
        {
            // Never CLOSE: on a folder opened read-write it would expunge. UNSELECT is checked for below.
            await open.CloseAsync(expunge: false, Token);
        }
        await Client.EnableQuickResyncAsync(Token);
        quickResyncEnabled = true;
    }

    /// <summary>
    /// On a QRESYNC server without UNSELECT, enables QRESYNC right after sign-in (one round trip per session), since
    /// leaving a selected folder would need CLOSE. Elsewhere QRESYNC is enabled only when a folder changed.
    /// </summary>
    public async Task EnableQuickResyncEarlyAsync()
    {
        if (OffersQuickResync && !Client.Capabilities.HasFlag(ImapCapabilities.Unselect))
        {
            await EnableQuickResyncAsync(open: null);
        }
    }

    /// <summary>ESEARCH (RFC 4731): a UID search can answer with ranges ("1:4999,5001:50000") instead of every UID.</summary>
    public bool OffersExtendedSearch => Client.Capabilities.HasFlag(ImapCapabilities.ESearch);

    /// <summary>The folder with this full name, or null when the server has none (deleted or renamed there).</summary>
    public async Task<IMailFolder?> FindFolderAsync(string fullName)
    {
        if (string.Equals(fullName, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return Client.Inbox;
        }
        BeginWork($"while looking up the folder \"{fullName}\"");
        try
        {
            return await Client.GetFolderAsync(fullName, Token);
        }
        catch (FolderNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens <paramref name="folder"/> read-only (EXAMINE). With <paramref name="known"/> (QRESYNC enabled) the server
    /// reports, while opening, the UIDs among the known ones expunged since and the flags changed since: the caller
    /// listens to the folder's <c>MessagesVanished</c> and <c>MessageFlagsChanged</c> events around this call.
    /// </summary>
    public async Task ExamineAsync(IMailFolder folder, QuickResyncState? known)
    {
        if (folder == Client.Inbox)
        {
            Stage = ConnectionStage.OpeningMailbox;
        }
        else
        {
            BeginWork($"while opening the folder \"{folder.FullName}\"");
        }
        if (known is { } k)
        {
            await folder.OpenAsync(FolderAccess.ReadOnly, k.UidValidity, k.HighestModSeq, k.KnownUids, Token);
        }
        else
        {
            await folder.OpenAsync(FolderAccess.ReadOnly, Token);
        }
    }

    /// <summary>
    /// Every folder of every namespace the server offers (personal, other users', shared), INBOX first, at most
    /// <paramref name="max"/>. LIST only: nothing is opened or changed.
    /// </summary>
    public async Task<IReadOnlyList<IMailFolder>> ListFoldersAsync(int max)
    {
        BeginWork("while listing the folders");
        var found = new List<IMailFolder> { Client.Inbox };
        var names = new HashSet<string>(StringComparer.Ordinal) { Client.Inbox.FullName };
        foreach (var ns in Client.PersonalNamespaces.Concat(Client.OtherNamespaces).Concat(Client.SharedNamespaces))
        {
            foreach (var folder in await Client.GetFoldersAsync(ns, StatusItems.None, subscribedOnly: false, Token))
            {
                if (found.Count >= max)
                {
                    return found;
                }
                if (names.Add(folder.FullName))
                {
                    found.Add(folder);
                }
            }
        }
        return found;
    }

    /// <summary>LOGINDISABLED without a usable SASL mechanism: say which setting to change instead of failing blindly.</summary>
    protected override MailFailure? RefuseSignIn(MailCredential credential)
    {
        var loginAllowed = credential.CanUseImapLogin && !Client.Capabilities.HasFlag(ImapCapabilities.LoginDisabled);
        if (loginAllowed || credential.CanUseAnyOf(Client.AuthenticationMechanisms))
        {
            return null;
        }
        var protocol = Protocol;
        return !Client.IsSecure && Client.Capabilities.HasFlag(ImapCapabilities.StartTLS)
            ? SignInRefused($"allows login only over TLS, and {protocol.TlsLabel} is off.", protocol.TlsField, $"Turn on {protocol.TlsLabel}.")
            : credential is OAuth2Credential
                ? SignInRefused($"does not offer {credential.Describes}.", protocol.UsernameField,
                    "Choose Password as the sign-in method, or ask the provider to enable OAuth2 for IMAP.")
                : SignInRefused("does not offer a password login this portal can use.", protocol.UsernameField,
                    "Ask the provider to enable IMAP password login, for example with an app password.");
    }

    /// <summary>A SASL mechanism when one fits, else the LOGIN command: either way exactly one attempt.</summary>
    protected override Task AuthenticateOnceAsync(MailCredential credential)
    {
        if (credential.ChooseMechanism(Client.AuthenticationMechanisms) is { } mechanism)
        {
            return Client.AuthenticateAsync(mechanism, Token);
        }
        // MailKit's AuthenticateAsync(user, password) tries every offered SASL mechanism before LOGIN; with none left
        // to try it sends LOGIN only.
        var password = (PasswordCredential)credential;
        Client.AuthenticationMechanisms.Clear();
        return Client.AuthenticateAsync(password.Username, password.Password, Token);
    }
}
