using EmailSettings.Core.Autodetect;
using EmailSettings.Core.Common;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;

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
/// How a proposed server lets the account sign in, in the dialogs' words ("Sign in with Google"), and the installation's
/// provider for it when that provider is configured (<c>OAuth:Providers:Microsoft</c> / <c>:Google</c> with a client id).
/// </summary>
public sealed record DetectedSignIn(ServerAuthentication Authentication, OAuth2Provider? Provider, OAuthProvider? Configured = null)
{
    /// <param name="providers">The configured providers (<see cref="OAuthProviderCatalog.All"/>); none: <see cref="Configured"/> stays null.</param>
    public static DetectedSignIn For(ProposedServerSettings? server, IReadOnlyList<OAuthProvider>? providers = null)
    {
        if (server is null)
        {
            return new(ServerAuthentication.Password, null);
        }
        var name = ConfigurationName(server.OAuth2Provider);
        var configured = name is null ? null : providers?.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        return new(server.Authentication, server.OAuth2Provider, configured);
    }

    public bool OAuth2Required => Authentication == ServerAuthentication.OAuth2;

    /// <summary>False for a relay without sign-in and for servers that refuse passwords.</summary>
    public bool NeedsPassword => Authentication is ServerAuthentication.Password or ServerAuthentication.PasswordOrOAuth2;

    /// <summary>The configured DisplayName of the provider, else its own name.</summary>
    public string? ProviderDisplayName => Configured?.DisplayName ?? Provider switch
    {
        OAuth2Provider.Microsoft => "Microsoft",
        OAuth2Provider.Google => "Google",
        _ => null,
    };

    /// <summary>What the admins know the service as, for "Microsoft 365 needs OAuth2 sign-in".</summary>
    public string? ServiceName => Provider switch
    {
        OAuth2Provider.Microsoft => "Microsoft 365",
        OAuth2Provider.Google => "Google",
        _ => null,
    };

    /// <summary>"Sign in with Microsoft" / "Sign in with Google": the OAuth2 branch's button for this provider.</summary>
    public string? SignInText => ProviderDisplayName is { } name ? $"Sign in with {name}" : null;

    /// <summary>The <c>OAuth:Providers:&lt;name&gt;</c> that serves <paramref name="provider"/>.</summary>
    public static string? ConfigurationName(OAuth2Provider? provider) => provider switch
    {
        OAuth2Provider.Microsoft => OAuthOptions.Microsoft,
        OAuth2Provider.Google => OAuthOptions.Google,
        _ => null,
    };
}

/// <summary>
/// Puts a detected proposal into a dialog's input without overwriting what the admin typed: a field the admin edited keeps
/// its value (unless it is blank), every other field takes the proposal's (Core's <c>ApplyTo</c> decides the values).
/// </summary>
internal static class ProposalApplier
{
    /// <summary>The IMAP part into the Add Email Account dialog's input.</summary>
    /// <param name="providers">The installation's OAuth2 providers: one the proposal needs becomes the IMAP sign-in method.</param>
    public static AppliedProposal Apply(DetectedMailSettings settings, EmailAccountInput input, TypedFields typed, IReadOnlyList<OAuthProvider> providers)
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
        return new AppliedProposal(kept, UseSignIn(settings.Imap, providers, provider =>
        {
            input.ImapSignInMethod = SignInMethod.OAuth2;
            input.ImapOAuthProvider = provider.Name;
        }));
    }

    /// <summary>The SMTP part into a mail server input; <paramref name="name"/> fills Server Name when given.</summary>
    /// <param name="providers">The installation's OAuth2 providers: one the proposal needs becomes the sign-in method.</param>
    public static AppliedProposal Apply(DetectedMailSettings settings, MailServerInput input, TypedFields typed, IReadOnlyList<OAuthProvider> providers,
        string? name = null)
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
        return new AppliedProposal(kept, UseSignIn(settings.Smtp, providers, provider =>
        {
            input.SignInMethod = SignInMethod.OAuth2;
            input.OAuthProvider = provider.Name;
        }));
    }

    /// <summary>
    /// The one place where a proposal decides how the dialogs sign in (both overloads above, and so the Add Email Account
    /// dialog's new server, come through here): a provider that needs OAuth2 (Microsoft 365, Google) switches the sign-in
    /// method to OAuth2 with the installation's provider for it, when that provider is configured. Otherwise the method
    /// stays as it is and the panel says that the provider needs a sign-in this installation does not offer.
    /// </summary>
    private static DetectedSignIn UseSignIn(ProposedServerSettings? server, IReadOnlyList<OAuthProvider> providers, Action<OAuthProvider> useProvider)
    {
        var signIn = DetectedSignIn.For(server, providers);
        if (signIn is { OAuth2Required: true, Configured: { } provider })
        {
            useProvider(provider);
        }
        return signIn;
    }

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
