namespace EmailSettings.Core.Connections;

/// <summary>
/// What went wrong in a mail session, classified once for Test Connection, sync and send, with the secrets removed
/// from every text.
/// </summary>
/// <param name="Kind">The one set of failure kinds; sync and send map it onto their own public kinds.</param>
/// <param name="Stage">Where the session was.</param>
/// <param name="Summary">One line for the dialog, which shows the fields next to it ("The server rejected …").</param>
/// <param name="Field">The dialog field to fix, or null.</param>
/// <param name="Hint">What to do, in the dialog's words (field labels).</param>
/// <param name="Message">
/// The same failure in one sentence or two for places outside the dialog (a sync error on the account card, the
/// email log): it names the server and the record whose settings to change. Callers append their outcome
/// ("Nothing was sent.").
/// </param>
/// <param name="ServerReply">The server's own words when it answered with an error ("535 5.7.8 …").</param>
/// <param name="Certificate">The certificate the server presented when it was not trusted.</param>
/// <param name="PinnedCertificateChanged">True when that certificate differs from the one pinned earlier.</param>
/// <param name="Detail">Exception types and messages, outermost first; null for a refusal without an exception.</param>
internal sealed record MailFailure(
    ConnectionFailureKind Kind,
    ConnectionStage Stage,
    string Summary,
    string? Field,
    string? Hint,
    string Message,
    string? ServerReply = null,
    CertificateInfo? Certificate = null,
    bool PinnedCertificateChanged = false,
    string? Detail = null)
{
    /// <summary>True when the server answered at all, so the failure is not about reaching it.</summary>
    public bool Reached => Kind is not (ConnectionFailureKind.HostNotFound or ConnectionFailureKind.ConnectionRefused
        or ConnectionFailureKind.HostUnreachable);
}
