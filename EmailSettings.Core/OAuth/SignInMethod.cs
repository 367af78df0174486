namespace EmailSettings.Core.OAuth;

/// <summary>How a mail server or an email account signs in to its mail server.</summary>
public enum SignInMethod
{
    /// <summary>Username and password (the password stored encrypted).</summary>
    Password,

    /// <summary>OAuth2 with a configured provider: an access token sent with XOAUTH2 or OAUTHBEARER.</summary>
    OAuth2,
}

/// <summary>Which kind of record an OAuth grant or sign-in belongs to.</summary>
public enum OAuthTargetKind
{
    MailServer,
    EmailAccount,
}

/// <summary>Whether a grant works or needs the admin to sign in again.</summary>
public enum OAuthGrantStatus
{
    Active,

    /// <summary>The provider refused the refresh token (revoked, expired, consent withdrawn): only a new sign-in helps.</summary>
    ReconnectNeeded,
}

/// <summary>How the grant was obtained, and so how a new access token is obtained.</summary>
public enum OAuthGrantFlow
{
    /// <summary>An admin signed in and consented (authorization code with PKCE); renewed with the refresh token.</summary>
    Delegated,

    /// <summary>The app's own credentials (client credentials grant), for shared mailboxes; renewed by asking again.</summary>
    AppOnly,
}
