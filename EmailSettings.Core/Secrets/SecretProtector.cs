using Microsoft.AspNetCore.DataProtection;

namespace EmailSettings.Core.Secrets;

public enum SecretKind
{
    SmtpPassword,
    ImapPassword,
    OAuthAccessToken,
    OAuthRefreshToken,
}

/// <summary>
/// Encrypts stored passwords and OAuth2 tokens with ASP.NET Core Data Protection. Each kind of secret has its own purpose,
/// so a ciphertext of one kind cannot be decrypted as another.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    public const string ApplicationName = "EmailSettings";

    private readonly IDataProtector smtp = provider.CreateProtector("EmailSettings.Secrets.SmtpPassword.v1");
    private readonly IDataProtector imap = provider.CreateProtector("EmailSettings.Secrets.ImapPassword.v1");
    private readonly IDataProtector accessToken = provider.CreateProtector("EmailSettings.Secrets.OAuthAccessToken.v1");
    private readonly IDataProtector refreshToken = provider.CreateProtector("EmailSettings.Secrets.OAuthRefreshToken.v1");

    public string Protect(SecretKind kind, string plaintext) => For(kind).Protect(plaintext);

    public string Unprotect(SecretKind kind, string protectedValue) => For(kind).Unprotect(protectedValue);

    private IDataProtector For(SecretKind kind) => kind switch
    {
        SecretKind.SmtpPassword => smtp,
        SecretKind.ImapPassword => imap,
        SecretKind.OAuthAccessToken => accessToken,
        SecretKind.OAuthRefreshToken => refreshToken,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
