using System.Net;
using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Who signs in to a mail server and with what secret. The connection layer asks the credential for exactly one SASL
/// mechanism among those the server offers and signs in once with it
/// (<c>AuthenticateAsync(SaslMechanism, ct)</c>): letting MailKit fall through several mechanisms would send a wrong
/// secret several times and can lock the mailbox.
/// </summary>
/// <remarks>
/// A plain class, not a record: a record's generated <c>ToString</c> would print the secret into any log line or
/// exception message that mentions the credential. An OAuth2 credential (<see cref="OAuth2Credential"/>, an access token signing in with
/// XOAUTH2 or OAUTHBEARER) derives from this class and is used by test, sync and send unchanged.
/// </remarks>
internal abstract class MailCredential(string username)
{
    public string Username { get; } = username;

    /// <summary>The secrets to remove from every text that leaves the layer (messages, logs, stored errors).</summary>
    public abstract IReadOnlyList<string> Secrets { get; }

    /// <summary>
    /// The one mechanism to sign in with, created with this credential, or null when the server offers none this
    /// credential can use.
    /// </summary>
    public abstract SaslMechanism? ChooseMechanism(IEnumerable<string> offered);

    /// <summary>True when one of <paramref name="offered"/> can be used with this credential.</summary>
    public abstract bool CanUseAnyOf(IEnumerable<string> offered);

    /// <summary>Whether IMAP's LOGIN command may stand in when no SASL mechanism fits (it carries a password only).</summary>
    public virtual bool CanUseImapLogin => false;

    /// <summary>What this credential signs in with, for refusals: "a password login", "OAuth2 sign-in (…)".</summary>
    public virtual string Describes => "a password login";

    /// <summary>Gets the secret ready just before the sign-in (an OAuth2 token is fetched, and renewed when it is about to expire).</summary>
    public virtual Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// After the server refused the secret: gets a new one when that can help (an OAuth2 token renewed once) and returns
    /// true to sign in once more; false for a password, which is not tried again.
    /// </summary>
    public virtual Task<bool> RenewAfterRejectionAsync(CancellationToken ct) => Task.FromResult(false);

    /// <summary>A scrubber that removes this credential's secrets.</summary>
    public SecretScrubber Scrubber => new(Secrets);

    public override string ToString() => $"{GetType().Name} for {Username}";
}

/// <summary>A username and password: signs in with the strongest password mechanism both sides support.</summary>
internal sealed class PasswordCredential(string username, string password) : MailCredential(username)
{
    /// <summary>
    /// SASL mechanisms that work with a username and password alone, strongest first: MailKit's own ranking, without
    /// OAuth tokens, Kerberos or channel binding (the -PLUS variants).
    /// </summary>
    public static readonly IReadOnlyList<string> Mechanisms =
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "NTLM", "DIGEST-MD5", "CRAM-MD5", "PLAIN", "LOGIN"];

    public string Password { get; } = password;

    public override IReadOnlyList<string> Secrets => [Password];

    public override bool CanUseImapLogin => true;

    public override SaslMechanism? ChooseMechanism(IEnumerable<string> offered) =>
        Best(offered) is { } name ? SaslMechanism.Create(name, new NetworkCredential(Username, Password)) : null;

    public override bool CanUseAnyOf(IEnumerable<string> offered) => Best(offered) is not null;

    /// <summary>The name of the strongest password mechanism in <paramref name="offered"/> that MailKit can run here.</summary>
    public static string? Best(IEnumerable<string> offered)
    {
        var set = new HashSet<string>(offered, StringComparer.OrdinalIgnoreCase);
        return Mechanisms.FirstOrDefault(m => set.Contains(m) && SaslMechanism.IsSupported(m));
    }
}
