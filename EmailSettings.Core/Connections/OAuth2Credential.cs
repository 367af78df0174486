using MailKit.Security;

namespace EmailSettings.Core.Connections;

/// <summary>
/// A mailbox name and an OAuth2 access token: signs in with OAUTHBEARER (RFC 7628) or XOAUTH2 (Google's and
/// Microsoft's), whichever the server offers, OAUTHBEARER first. The token is fetched when the session signs in (so an
/// expired one is renewed first) and renewed once more when the server refuses it; every token it ever held stays in
/// <see cref="Secrets"/>, so the scrubber masks old and new alike.
/// </summary>
internal sealed class OAuth2Credential(
    string username,
    string providerDisplayName,
    Func<CancellationToken, Task<string>> currentToken,
    Func<string, CancellationToken, Task<string>> renewToken) : MailCredential(username)
{
    public const string OAuthBearer = "OAUTHBEARER";
    public const string XOAuth2 = "XOAUTH2";

    /// <summary>The mechanisms for a token, preferred first.</summary>
    public static readonly IReadOnlyList<string> Mechanisms = [OAuthBearer, XOAuth2];

    private readonly List<string> tokens = [];
    private bool renewed;

    public string ProviderDisplayName { get; } = providerDisplayName;

    /// <summary>The token the next sign-in sends; null until <see cref="PrepareAsync"/>.</summary>
    public string? AccessToken => tokens.Count == 0 ? null : tokens[^1];

    public override IReadOnlyList<string> Secrets => tokens;

    public override string Describes => $"OAuth2 sign-in ({string.Join(" or ", Mechanisms)})";

    public override async Task PrepareAsync(CancellationToken ct)
    {
        if (tokens.Count == 0)
        {
            tokens.Add(await currentToken(ct));
        }
    }

    /// <summary>Once per session: the server refused the token, so it may have expired early or been rotated.</summary>
    public override async Task<bool> RenewAfterRejectionAsync(CancellationToken ct)
    {
        if (renewed || AccessToken is not { } rejected)
        {
            return false;
        }
        renewed = true;
        var fresh = await renewToken(rejected, ct);
        if (string.Equals(fresh, rejected, StringComparison.Ordinal))
        {
            return false;
        }
        tokens.Add(fresh);
        return true;
    }

    public override SaslMechanism? ChooseMechanism(IEnumerable<string> offered)
    {
        var token = AccessToken ?? throw new InvalidOperationException("PrepareAsync must run before the sign-in.");
        return Best(offered) switch
        {
            OAuthBearer => new SaslMechanismOAuthBearer(Username, token),
            XOAuth2 => new SaslMechanismOAuth2(Username, token),
            _ => null,
        };
    }

    public override bool CanUseAnyOf(IEnumerable<string> offered) => Best(offered) is not null;

    private static string? Best(IEnumerable<string> offered)
    {
        var set = new HashSet<string>(offered, StringComparer.OrdinalIgnoreCase);
        return Mechanisms.FirstOrDefault(set.Contains);
    }
}
