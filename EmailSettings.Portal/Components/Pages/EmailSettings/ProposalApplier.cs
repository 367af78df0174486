using EmailSettings.Core.Autodetect;
using EmailSettings.Core.Common;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>The fields of a dialog the admin has edited; a detected proposal fills only the others.</summary>
internal sealed class TypedFields
{
    private readonly HashSet<string> fields = [];

    public void Mark(string field) => fields.Add(field);

    public bool Contains(string field) => fields.Contains(field);
}

/// <summary>What using a proposal did: the typed fields it left alone, and how the proposed servers sign in.</summary>
internal sealed record AppliedProposal(IReadOnlyList<string> Kept, DetectedSignIn SignIn);

/// <summary>
/// How a proposed server lets the account sign in, in the dialogs' words ("Sign in with Google").
/// </summary>
/// <remarks>
/// The provider's name is the one the OAuth2 sign-in (issue 14) shows by default (its <c>OAuth:Providers:&lt;name&gt;:DisplayName</c>);
/// once that lands, a configured DisplayName should replace <see cref="ProviderDisplayName"/>.
/// </remarks>
public sealed record DetectedSignIn(ServerAuthentication Authentication, OAuth2Provider? Provider)
{
    public static DetectedSignIn For(ProposedServerSettings? server) =>
        server is null ? new(ServerAuthentication.Password, null) : new(server.Authentication, server.OAuth2Provider);

    public bool OAuth2Required => Authentication == ServerAuthentication.OAuth2;

    /// <summary>False for a relay without sign-in and for servers that refuse passwords.</summary>
    public bool NeedsPassword => Authentication is ServerAuthentication.Password or ServerAuthentication.PasswordOrOAuth2;

    public string? ProviderDisplayName => Provider switch
    {
        OAuth2Provider.Microsoft => "Microsoft",
        OAuth2Provider.Google => "Google",
        _ => null,
    };

    /// <summary>"Sign in with Microsoft" / "Sign in with Google": the OAuth2 branch's button for this provider.</summary>
    public string? SignInText => ProviderDisplayName is { } name ? $"Sign in with {name}" : null;
}

/// <summary>
/// Puts a detected proposal into a dialog's input without overwriting what the admin typed: a field the admin edited keeps
/// its value (unless it is blank), every other field takes the proposal's (Core's <c>ApplyTo</c> decides the values).
/// </summary>
internal static class ProposalApplier
{
    /// <summary>The IMAP part into the Add Email Account dialog's input.</summary>
    public static AppliedProposal Apply(DetectedMailSettings settings, EmailAccountInput input, TypedFields typed)
    {
        var kept = new List<string>();
        if (settings.Imap is { } imap)
        {
            var proposed = input.Copy();
            imap.ApplyTo(proposed);
            input.ImapHost = Pick(typed, nameof(input.ImapHost), FieldLabels.ImapHost, input.ImapHost, proposed.ImapHost, kept);
            input.ImapPort = Pick(typed, nameof(input.ImapPort), FieldLabels.ImapPort, input.ImapPort, proposed.ImapPort, kept);
            input.ImapUseTls = Pick(typed, nameof(input.ImapUseTls), FieldLabels.ImapUseTls, input.ImapUseTls, proposed.ImapUseTls, kept);
            input.ImapUsername = Pick(typed, nameof(input.ImapUsername), FieldLabels.ImapUsername, input.ImapUsername, proposed.ImapUsername, kept);
        }
        return new AppliedProposal(kept, UseSignIn(settings.Imap));
    }

    /// <summary>The SMTP part into a mail server input; <paramref name="name"/> fills Server Name when given.</summary>
    public static AppliedProposal Apply(DetectedMailSettings settings, MailServerInput input, TypedFields typed, string? name = null)
    {
        var kept = new List<string>();
        if (settings.Smtp is { } smtp)
        {
            var proposed = input.Copy();
            smtp.ApplyTo(proposed);
            if (name is not null)
            {
                input.Name = Pick(typed, nameof(input.Name), FieldLabels.ServerName, input.Name, name, kept);
            }
            input.SmtpHost = Pick(typed, nameof(input.SmtpHost), FieldLabels.SmtpHost, input.SmtpHost, proposed.SmtpHost, kept);
            input.SmtpPort = Pick(typed, nameof(input.SmtpPort), FieldLabels.SmtpPort, input.SmtpPort, proposed.SmtpPort, kept);
            input.UseTls = Pick(typed, nameof(input.UseTls), FieldLabels.UseTls, input.UseTls, proposed.UseTls, kept);
            input.SmtpUsername = Pick(typed, nameof(input.SmtpUsername), FieldLabels.SmtpUsername, input.SmtpUsername, proposed.SmtpUsername, kept);
        }
        return new AppliedProposal(kept, UseSignIn(settings.Smtp));
    }

    /// <summary>
    /// The one place where a proposal decides how the dialogs sign in (both overloads above, and so the Add Email Account
    /// dialog's new server, come through here). Today every server and account signs in with a password, so this only
    /// reports what the provider needs and the dialogs show "This provider needs Sign in with Google".
    /// OAuth2 switch point (issue 14): when the OAuth2 sign-in lands, pass the input in and, for
    /// <see cref="DetectedSignIn.OAuth2Required"/>, set its sign-in method to OAuth2 with <see cref="DetectedSignIn.Provider"/>.
    /// </summary>
    private static DetectedSignIn UseSignIn(ProposedServerSettings? server) => DetectedSignIn.For(server);

    /// <summary>
    /// The tenant's server that the proposed SMTP settings describe: the same host (any case, no trailing dot) and port,
    /// preferring one that signs in as the proposed username; null when none does.
    /// </summary>
    public static MailServerSummary? MatchingServer(IEnumerable<MailServerSummary> servers, ProposedSmtpSettings smtp)
    {
        var host = NormalHost(smtp.Host);
        var matches = servers.Where(s => s.SmtpPort == smtp.Port && NormalHost(s.SmtpHost) == host).ToList();
        return matches.FirstOrDefault(s => string.Equals(s.SmtpUsername?.Trim(), smtp.Username, StringComparison.OrdinalIgnoreCase))
            ?? matches.FirstOrDefault();
    }

    private static string NormalHost(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    private static T Pick<T>(TypedFields typed, string field, string label, T current, T proposed, List<string> kept)
    {
        if (!typed.Contains(field) || current is null || (current is string text && string.IsNullOrWhiteSpace(text)))
        {
            return proposed;
        }
        if (!EqualityComparer<T>.Default.Equals(current, proposed))
        {
            kept.Add(label);
        }
        return current;
    }
}
