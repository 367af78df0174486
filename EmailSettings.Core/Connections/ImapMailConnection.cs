using MailKit;
using MailKit.Net.Imap;

namespace EmailSettings.Core.Connections;

/// <summary>An IMAP session of the connection layer (Test Connection, sync).</summary>
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
