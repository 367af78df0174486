using EmailSettings.Core.Autodetect;
using EmailSettings.Core.Common;
using EmailSettings.Core.MailServers;
using Microsoft.AspNetCore.Components;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>Which dialog the detected settings are for.</summary>
public enum DetectionTarget
{
    /// <summary>Add Email Account: IMAP into the account, SMTP as a server to select or to add.</summary>
    EmailAccount,

    /// <summary>Add Mail Server: SMTP into the server.</summary>
    MailServer,
}

/// <summary>What the admin chose with "Use these settings".</summary>
/// <param name="SelectServer">The tenant's server that matches the proposed SMTP settings, to select in Mail Server.</param>
/// <param name="AddServer">True: add the proposed SMTP server for this account when it is saved.</param>
public sealed record ProposalChoice(DetectedMailSettings Settings, MailServerSummary? SelectServer, bool AddServer);

/// <summary>
/// The "Detect settings" button next to an address field, the spinner with Cancel while the detection runs, the message
/// when nothing is proposed, and the proposal itself: where it came from, the servers, whether a server of the tenant
/// already matches, what the provider needs to sign in, with "Use these settings" and "Dismiss". The dialog applies the
/// choice (<see cref="OnUse"/>); this panel changes no input itself.
/// </summary>
public sealed partial class DetectedSettingsPanel
{
    private bool addServer;
    private DetectedMailSettings? shown;

    [Inject]
    private global::EmailSettings.Core.OAuth.OAuthProviderCatalog OAuthProviders { get; set; } = default!;

    [Parameter, EditorRequired]
    public SettingsDetection Detection { get; set; } = default!;

    [Parameter]
    public DetectionTarget Target { get; set; }

    /// <summary>The address in the field now, for the Detect settings button.</summary>
    [Parameter]
    public string? Address { get; set; }

    /// <summary>The tenant's servers, to find one that matches the proposed SMTP settings.</summary>
    [Parameter]
    public IReadOnlyList<MailServerSummary> Servers { get; set; } = [];

    /// <summary>The server selected in Mail Server now (Add Email Account).</summary>
    [Parameter]
    public int? SelectedServerId { get; set; }

    /// <summary>True when the admin chose the Mail Server: the proposal selects none then.</summary>
    [Parameter]
    public bool ServerChosen { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    [Parameter]
    public EventCallback<ProposalChoice> OnUse { get; set; }

    private string Help => Detection.NetworkLookupsEnabled
        ? "Fills in the server settings from the address: built-in settings of the big providers, the domain's own settings, the Thunderbird database, DNS."
        : "Fills in the server settings of the big providers from the address (built-in settings).";

    protected override void OnParametersSet()
    {
        // A new proposal starts with "Add server" ticked unless the admin picked a server; the tick is theirs afterwards.
        if (!ReferenceEquals(Detection.Proposal, shown))
        {
            shown = Detection.Proposal;
            addServer = !ServerChosen;
        }
    }

    private void DetectAsync() => Detection.Start(Address, asked: true);

    private bool CanUse(DetectedMailSettings settings) => Target == DetectionTarget.EmailAccount || settings.Smtp is not null;

    private Task UseAsync(DetectedMailSettings settings)
    {
        MailServerSummary? select = null;
        var add = false;
        if (Target == DetectionTarget.EmailAccount && settings.Smtp is { } smtp)
        {
            var match = ProposalApplier.MatchingServer(Servers, smtp);
            select = match is not null && !ServerChosen && match.Id != SelectedServerId ? match : null;
            add = match is null && addServer;
        }
        return OnUse.InvokeAsync(new ProposalChoice(settings, select, add));
    }

    private bool OffersNewServer(ProposedSmtpSettings smtp) =>
        Target == DetectionTarget.EmailAccount && ProposalApplier.MatchingServer(Servers, smtp) is null;

    /// <summary>What happens with Mail Server when a server of the tenant matches; null when none does.</summary>
    private string? ServerText(ProposedSmtpSettings smtp)
    {
        if (ProposalApplier.MatchingServer(Servers, smtp) is not { } match)
        {
            return null;
        }
        var hostPort = $"{smtp.Host}:{smtp.Port}";
        if (Target == DetectionTarget.MailServer)
        {
            return $"Your mail server {match.Name} already uses {hostPort}.";
        }
        var signsInAs = smtp.Username is null || string.Equals(match.SmtpUsername?.Trim(), smtp.Username, StringComparison.OrdinalIgnoreCase)
            ? ""
            : $" It signs in as {match.SmtpUsername ?? "nobody (no sign-in)"}.";
        return match.Id == SelectedServerId
            ? $"Sends through your mail server {match.Name} ({hostPort}), already selected in {FieldLabels.MailServer}.{signsInAs}"
            : ServerChosen
                ? $"Your mail server {match.Name} uses {hostPort}; {FieldLabels.MailServer} stays as you chose.{signsInAs}"
                : $"Your mail server {match.Name} uses {hostPort}: it will be selected in {FieldLabels.MailServer}.{signsInAs}";
    }

    private static string Describe(ProposedServerSettings server) =>
        server.Username is null ? $"{server.Summary}, no sign-in" : $"{server.Summary}, username {server.Username}";

    /// <summary>
    /// Where the provider refuses passwords: which sign-in it needs, in the OAuth2 sign-in's own words, and whether this
    /// installation offers it (Use these settings then switches the sign-in method to it).
    /// </summary>
    private string? SignInNoteText(DetectedMailSettings settings)
    {
        var server = Target == DetectionTarget.EmailAccount ? settings.Imap ?? (ProposedServerSettings?)settings.Smtp : settings.Smtp;
        var signIn = DetectedSignIn.For(server, OAuthProviders.All);
        if (!signIn.OAuth2Required || signIn.SignInText is not { } signInText)
        {
            return null;
        }
        return signIn.Configured is not null
            ? $"{settings.ProviderName ?? "This provider"} needs “{signInText}” (OAuth2) and refuses passwords. Use these settings switches the sign-in method to it."
            : $"{signIn.ServiceName ?? settings.ProviderName ?? "This provider"} needs OAuth2 sign-in; it is not configured on this installation. "
              + $"A connection test with a password will fail until an operator sets up OAuth:Providers:{DetectedSignIn.ConfigurationName(signIn.Provider)} (see the README).";
    }

    private static string DomainOf(string? address) =>
        address is not null && address.LastIndexOf('@') is var at and >= 0 ? address[(at + 1)..] : address ?? "";
}
