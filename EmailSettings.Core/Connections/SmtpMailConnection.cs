using MailKit;
using MailKit.Net.Smtp;

namespace EmailSettings.Core.Connections;

/// <summary>An SMTP session of the connection layer (Test Connection, send).</summary>
internal sealed class SmtpMailConnection : MailConnection
{
    public SmtpMailConnection(MailEndpoint endpoint, MailCredential? credential, MailTimeLimit limit)
        : base(endpoint, credential, limit)
    {
        // NullProtocolLogger: a protocol log would record the AUTH exchange, and with it the secret.
        Client = new SmtpClient(new NullProtocolLogger())
        {
            Timeout = limit.ClientTimeoutMilliseconds,
            ServerCertificateValidationCallback = Certificate.Validate,
        };
    }

    public override SmtpClient Client { get; }

    /// <summary>Explains a missing or unusable AUTH before trying it, so the admin learns which setting to change.</summary>
    protected override MailFailure? RefuseSignIn(MailCredential credential)
    {
        var protocol = Protocol;
        if (!Client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
        {
            return !Client.IsSecure && Client.Capabilities.HasFlag(SmtpCapabilities.StartTLS)
                ? SignInRefused($"offers sign-in only over TLS (it offers STARTTLS), and {protocol.TlsLabel} is off.",
                    protocol.TlsField, $"Turn on {protocol.TlsLabel}.")
                : SignInRefused("does not offer sign-in (no AUTH).",
                    protocol.UsernameField,
                    $"Leave {protocol.UsernameLabel} and {protocol.PasswordLabel} blank if the server accepts mail from the portal without sign-in; otherwise ask the provider which port offers AUTH.");
        }
        if (credential is OAuth2Credential && !credential.CanUseAnyOf(Client.AuthenticationMechanisms))
        {
            return SignInRefused(
                $"does not offer {credential.Describes}; it offers {string.Join(", ", Client.AuthenticationMechanisms)}.",
                protocol.UsernameField,
                "Choose Password as the sign-in method, or ask the provider to enable OAuth2 for SMTP AUTH.");
        }
        if (!credential.CanUseAnyOf(Client.AuthenticationMechanisms))
        {
            return SignInRefused(
                $"offers only sign-in methods this portal cannot use with a password: {string.Join(", ", Client.AuthenticationMechanisms)}.",
                protocol.UsernameField,
                "Ask the provider to enable password sign-in (AUTH PLAIN or LOGIN), for example with an app password.");
        }
        return null;
    }

    protected override Task AuthenticateOnceAsync(MailCredential credential) =>
        Client.AuthenticateAsync(credential.ChooseMechanism(Client.AuthenticationMechanisms)!, Token);
}
