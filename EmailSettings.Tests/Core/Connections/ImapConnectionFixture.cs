using EmailSettings.Core.Connections;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// A real Dovecot with one user and three messages in INBOX, behind port 993 twice (its IMAPS port, and its
/// STARTTLS port to provoke the mismatch), and a Core host with the default time limit.
/// </summary>
public sealed class ImapConnectionFixture : IAsyncLifetime
{
    public const string User = "bob@example.com";
    public const string Password = "Imap-S3cret!Pw-4410";
    public const int MessageCount = 3;

    public DovecotServer Dovecot { get; private set; } = default!;
    public CoreTestHost Host { get; private set; } = default!;

    /// <summary>127.x.y.z:993 → Dovecot's TLS-on-connect port.</summary>
    public LoopbackForwarder Imaps993 { get; private set; } = default!;

    /// <summary>127.x.y.z:993 → Dovecot's plain/STARTTLS port: a server that greets in plain text on 993.</summary>
    public LoopbackForwarder StartTls993 { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Dovecot = await DovecotServer.StartAsync();
        Dovecot.AddUser(User, Password);
        Dovecot.DeliverToMaildir(User, Enumerable.Range(1, MessageCount).Select(n => DovecotServer.CreateMessage(n)));
        Imaps993 = LoopbackForwarder.Start(TlsPolicy.ImapImplicitTlsPort, Dovecot.ImapsPort);
        StartTls993 = LoopbackForwarder.Start(TlsPolicy.ImapImplicitTlsPort, Dovecot.ImapPort);
        Host = await CoreTestHost.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await StartTls993.DisposeAsync();
        await Imaps993.DisposeAsync();
        await Dovecot.DisposeAsync();
    }
}
