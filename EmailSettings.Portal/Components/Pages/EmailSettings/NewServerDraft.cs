using EmailSettings.Core.Autodetect;
using EmailSettings.Core.Common;
using EmailSettings.Core.MailServers;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// The mail server that the Add Email Account dialog adds for its account, from a detected proposal, when the account is
/// saved: host, port, TLS and username as detected, a name to confirm, and the password no detection can know. Its fields
/// sit in the account's form under keys prefixed <see cref="Prefix"/>, so one save checks them together with the account's.
/// </summary>
public sealed class NewServerDraft
{
    public const string Prefix = "NewServer.";
    public const string NameKey = Prefix + nameof(MailServerInput.Name);
    public const string PasswordKey = Prefix + nameof(MailServerInput.SmtpPassword);

    /// <summary>The service's messages for these fields show under the draft's inputs; any other goes into the form message.</summary>
    public static readonly HashSet<string> FieldsWithInputs = [nameof(MailServerInput.Name), nameof(MailServerInput.SmtpPassword)];

    private NewServerDraft(MailServerInput input, ProposedSmtpSettings smtp, DetectedSignIn signIn)
    {
        Input = input;
        Smtp = smtp;
        SignIn = signIn;
    }

    /// <summary>What <see cref="MailServerService.CreateAsync"/> gets.</summary>
    public MailServerInput Input { get; }

    public ProposedSmtpSettings Smtp { get; }

    public DetectedSignIn SignIn { get; }

    /// <summary>"smtp.example.com:465".</summary>
    public string HostAndPort => $"{Smtp.Host}:{Smtp.Port}";

    public static NewServerDraft From(DetectedMailSettings settings)
    {
        var smtp = settings.Smtp ?? throw new ArgumentException("The proposal has no SMTP server.", nameof(settings));
        var input = new MailServerInput();
        // No providers: the account dialog's new server asks for its password only; an OAuth2 server is added in Add Mail Server.
        var applied = ProposalApplier.Apply(settings, input, new TypedFields(), [], NameFor(settings));
        return new NewServerDraft(input, smtp, applied.SignIn);
    }

    /// <summary>The proposed Server Name: the provider's name from the preset or file ("Fastmail", "example.com Mail"), else the domain.</summary>
    public static string NameFor(DetectedMailSettings settings)
    {
        var name = (string.IsNullOrWhiteSpace(settings.ProviderName) ? settings.Domain : settings.ProviderName).Trim();
        return name.Length <= FieldRules.NameMaxLength ? name : name[..FieldRules.NameMaxLength].TrimEnd();
    }

    /// <summary>The server's own rules, and its password where the server signs in with one.</summary>
    public Dictionary<string, string> Validate()
    {
        var errors = Prefixed(Input.Validate());
        if (SignIn.NeedsPassword && string.IsNullOrEmpty(Input.SmtpPassword))
        {
            errors.TryAdd(PasswordKey, $"{FieldLabels.SmtpPassword} is required to send through {Smtp.Host}.");
        }
        return errors;
    }

    public static Dictionary<string, string> Prefixed(IReadOnlyDictionary<string, string> errors) =>
        errors.ToDictionary(e => Prefix + e.Key, e => e.Value);
}
