using EmailSettings.Core.OAuth;

namespace EmailSettings.Core.Alerts;

/// <summary>
/// Announces an email account's dead OAuth grant through <see cref="AccountAlerts"/> (one email to the tenant admins,
/// one notice on open pages) and clears it once a Reconnect brings the grant back. The token service calls this once
/// per change of the grant. A mail server's dead grant is not an account problem: its card says "Reconnect needed"
/// (and sends using it fail with that message), but AccountAlerts announces accounts only.
/// </summary>
internal sealed class OAuthGrantAlerts(AccountAlerts alerts) : IOAuthProblemSink
{
    public Task ReconnectNeededAsync(OAuthGrantProblem problem, CancellationToken ct) =>
        problem.TargetKind != OAuthTargetKind.EmailAccount
            ? Task.CompletedTask
            : alerts.RaiseAsync(problem.TenantId, problem.RecordId, AccountProblemKind.ReconnectNeeded, Reason(problem), problem.At, ct);

    public Task ReconnectedAsync(OAuthGrantProblem recovered, CancellationToken ct) =>
        recovered.TargetKind != OAuthTargetKind.EmailAccount
            ? Task.CompletedTask
            : alerts.ClearAsync(recovered.TenantId, recovered.RecordId, AccountProblemKind.ReconnectNeeded, ct);

    /// <summary>"Microsoft no longer accepts the sign-in (invalid_grant: …). Reconnect it in …"; the reason is scrubbed already.</summary>
    internal static string Reason(OAuthGrantProblem problem) =>
        $"{problem.ProviderDisplayName} no longer accepts the sign-in ({problem.Reason}). Reconnect the account in {AlertTexts.SettingsPath}.";
}
