using MimeKit;

namespace EmailSettings.Tests.Support;

/// <summary>A message accepted by <see cref="SmtpTestServer"/> (after DATA).</summary>
/// <param name="MailFrom">Envelope sender (MAIL FROM), empty for the null reverse-path.</param>
/// <param name="RcptTo">Envelope recipients (RCPT TO) in order.</param>
/// <param name="Message">The raw DATA parsed as MIME.</param>
/// <param name="AuthenticatedUser">User the session authenticated as, or null if it did not.</param>
/// <param name="Port">The server port the message came in on (StartTlsPort, TlsPort or PlainPort).</param>
/// <param name="Secure">Whether the session was TLS-protected when the message was sent.</param>
public sealed record SmtpReceivedMessage(
    string MailFrom,
    IReadOnlyList<string> RcptTo,
    MimeMessage Message,
    string? AuthenticatedUser,
    int Port,
    bool Secure);
