namespace EmailSettings.Core.Autodetect;

/// <summary>One server of a built-in preset, in config-v1.1 terms (username with %EMAIL...% placeholders).</summary>
public sealed record PresetServer(string Host, int Port, MailSocketType SocketType, string Username);

/// <summary>The published settings of a big provider, matched by the address's domain or by its MX host's domain.</summary>
/// <param name="AddressDomains">Address domains served by the provider (exact match).</param>
/// <param name="AddressDomainSuffixes">Parent domains whose subdomains are the provider's (contoso.onmicrosoft.com).</param>
/// <param name="MxDomains">Registrable domains of the provider's MX hosts, for custom domains it hosts.</param>
public sealed record ProviderPreset(
    string Name,
    IReadOnlyList<string> AddressDomains,
    IReadOnlyList<string> AddressDomainSuffixes,
    IReadOnlyList<string> MxDomains,
    PresetServer Imap,
    PresetServer Smtp,
    ServerAuthentication Authentication,
    OAuth2Provider? OAuth2Provider,
    string? Note);

/// <summary>
/// Built-in settings for the big providers, checked first (no network needed). Host names, ports and TLS modes are
/// the providers' published ones; OAuth2 is marked required where the provider refuses plain passwords.
/// </summary>
public static class ProviderPresets
{
    private const string Address = "%EMAILADDRESS%";
    private const string LocalPart = "%EMAILLOCALPART%";

    public static IReadOnlyList<ProviderPreset> All { get; } =
    [
        new("Microsoft 365 / Outlook.com",
            ["outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
             "outlook.at", "outlook.be", "outlook.cl", "outlook.co.il", "outlook.co.nz", "outlook.co.th", "outlook.com.ar",
             "outlook.com.au", "outlook.com.br", "outlook.com.gr", "outlook.com.tr", "outlook.com.vn", "outlook.cz",
             "outlook.de", "outlook.dk", "outlook.es", "outlook.fr", "outlook.hu", "outlook.ie", "outlook.in", "outlook.it",
             "outlook.jp", "outlook.kr", "outlook.lv", "outlook.my", "outlook.ph", "outlook.pt", "outlook.sa", "outlook.sg",
             "outlook.sk",
             "hotmail.be", "hotmail.ca", "hotmail.ch", "hotmail.co.uk", "hotmail.de", "hotmail.dk", "hotmail.es", "hotmail.fr",
             "hotmail.it", "hotmail.nl", "hotmail.se",
             "live.at", "live.be", "live.ca", "live.co.uk", "live.com.au", "live.de", "live.dk", "live.fr", "live.it", "live.nl",
             "live.se"],
            ["onmicrosoft.com"],
            ["outlook.com", "hotmail.com"],
            new PresetServer("outlook.office365.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.office365.com", 587, MailSocketType.StartTls, Address),
            ServerAuthentication.OAuth2, Autodetect.OAuth2Provider.Microsoft,
            "Microsoft accepts only OAuth2 sign-in (modern authentication) for IMAP and SMTP."),
        new("Gmail / Google Workspace",
            ["gmail.com", "googlemail.com"],
            [],
            ["google.com", "googlemail.com"],
            new PresetServer("imap.gmail.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.gmail.com", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.OAuth2, Autodetect.OAuth2Provider.Google,
            "Google accepts OAuth2 sign-in; a plain password is refused (an app password works only with 2-Step Verification)."),
        new("Yahoo Mail",
            ["yahoo.com", "ymail.com", "rocketmail.com", "yahoo.ca", "yahoo.co.uk", "yahoo.com.au", "yahoo.co.in", "yahoo.de",
             "yahoo.es", "yahoo.fr", "yahoo.ie", "yahoo.it", "yahoo.com.br", "yahoo.com.mx"],
            [],
            ["yahoodns.net"],
            new PresetServer("imap.mail.yahoo.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.mail.yahoo.com", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "Yahoo needs an app password (Account security → Generate app password), not the account password."),
        new("iCloud Mail",
            ["icloud.com", "me.com", "mac.com"],
            [],
            ["icloud.com"],
            new PresetServer("imap.mail.me.com", 993, MailSocketType.Ssl, LocalPart),
            new PresetServer("smtp.mail.me.com", 587, MailSocketType.StartTls, Address),
            ServerAuthentication.Password, null,
            "iCloud needs an app-specific password (appleid.apple.com → Sign-In and Security); the IMAP username is the part before the @."),
        new("Fastmail",
            ["fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "fastmail.to", "fastmail.us", "fastmail.cn",
             "fastmail.de", "fastmail.es", "fastmail.in", "fastmail.jp", "fastmail.mx", "fastmail.se", "fastmail.co.uk",
             "messagingengine.com"],
            [],
            ["messagingengine.com"],
            new PresetServer("imap.fastmail.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.fastmail.com", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "Fastmail needs an app password (Settings → Privacy & Security → App passwords)."),
        new("Zoho Mail",
            ["zoho.com", "zohomail.com"],
            [],
            [],
            new PresetServer("imap.zoho.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.zoho.com", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "With two-factor authentication Zoho needs an app-specific password."),
        new("Zoho Mail (organization)",
            [],
            [],
            ["zoho.com"],
            new PresetServer("imappro.zoho.com", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtppro.zoho.com", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "With two-factor authentication Zoho needs an app-specific password."),
        new("Zoho Mail (EU)",
            ["zoho.eu", "zohomail.eu"],
            [],
            [],
            new PresetServer("imap.zoho.eu", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtp.zoho.eu", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "With two-factor authentication Zoho needs an app-specific password."),
        new("Zoho Mail (EU organization)",
            [],
            [],
            ["zoho.eu"],
            new PresetServer("imappro.zoho.eu", 993, MailSocketType.Ssl, Address),
            new PresetServer("smtppro.zoho.eu", 465, MailSocketType.Ssl, Address),
            ServerAuthentication.Password, null,
            "With two-factor authentication Zoho needs an app-specific password."),
    ];

    /// <summary>The preset for an address domain (already lower-case ASCII), or null.</summary>
    public static ProviderPreset? ForAddressDomain(string domain) =>
        All.FirstOrDefault(p => p.AddressDomains.Contains(domain, StringComparer.OrdinalIgnoreCase)
            || p.AddressDomainSuffixes.Any(s => domain.EndsWith("." + s, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The preset whose MX hosts live in this registrable domain, or null.</summary>
    public static ProviderPreset? ForMxDomain(string mxDomain) =>
        All.FirstOrDefault(p => p.MxDomains.Contains(mxDomain, StringComparer.OrdinalIgnoreCase));
}
