namespace EmailSettings.Core.OAuth;

/// <summary>A mail server or email account whose OAuth grant died, or came back after a Reconnect.</summary>
/// <param name="RecordName">The server's or account's name, for an alert ("Support Inbox").</param>
/// <param name="Reason">The provider's words, cleaned of secrets ("invalid_grant: the refresh token was revoked").</param>
public sealed record OAuthGrantProblem(
    Guid TenantId,
    OAuthTargetKind TargetKind,
    int RecordId,
    string RecordName,
    string ProviderName,
    string ProviderDisplayName,
    string Reason,
    DateTime At);

/// <summary>
/// The one hook where Core reports a dead grant: called exactly once when a grant turns "Reconnect needed" (the database
/// update that flips its status decides who calls, so concurrent detections call once), and once when a Reconnect
/// brings it back. Register any number of sinks (<c>services.AddSingleton&lt;IOAuthProblemSink, …&gt;()</c>); the
/// account-alert service (email to the tenant admins through the default server, snackbar on open pages) plugs in here.
/// A sink that throws is logged and does not stop the others, nor the sync or send that found the problem.
/// </summary>
public interface IOAuthProblemSink
{
    Task ReconnectNeededAsync(OAuthGrantProblem problem, CancellationToken ct);

    Task ReconnectedAsync(OAuthGrantProblem recovered, CancellationToken ct);
}
