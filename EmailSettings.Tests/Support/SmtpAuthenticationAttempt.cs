namespace EmailSettings.Tests.Support;

/// <summary>One AUTH attempt seen by <see cref="SmtpTestServer"/>. The password is never recorded.</summary>
/// <param name="User">The user name the client sent.</param>
/// <param name="Succeeded">Whether the credentials matched.</param>
/// <param name="Port">The server port the attempt came in on.</param>
/// <param name="Secure">Whether the session was TLS-protected at the time.</param>
public sealed record SmtpAuthenticationAttempt(string User, bool Succeeded, int Port, bool Secure);
