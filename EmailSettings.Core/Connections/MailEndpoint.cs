using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Where one mail session connects to: host, port, the TLS toggle (the mode follows from port and toggle,
/// <see cref="TlsPolicy"/>) and the pinned certificate. <see cref="RecordName"/> names the mail server or email
/// account the settings belong to, for messages shown outside its dialog (sync errors on a card, the email log).
/// </summary>
internal sealed record MailEndpoint(
    ConnectionProtocol Protocol,
    string Host,
    int Port,
    bool UseTls,
    string? PinnedSha256,
    string? RecordName = null)
{
    public SecureSocketOptions Mode => Protocol.ChooseTls(Port, UseTls);

    /// <summary>"host:port".</summary>
    public string Address => $"{Host}:{Port}";

    /// <summary>'the server "Acme relay"', 'the account "Support"', or 'this account' when there is no saved record.</summary>
    public string Record => RecordName is null ? $"this {Protocol.RecordNoun}" : $"the {Protocol.RecordNoun} \"{RecordName}\"";
}

/// <summary>Where a session is, so a failure can be explained by what was being tried.</summary>
internal enum ConnectionStage
{
    Resolving,
    Connecting,
    Handshake,
    Authenticating,
    OpeningMailbox,

    /// <summary>Signed in: what the caller does with the session (sync fetches, send transmits).</summary>
    Working,
    Disconnecting,
}
