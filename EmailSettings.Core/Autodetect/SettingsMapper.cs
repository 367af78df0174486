using System.Globalization;
using System.Text.RegularExpressions;
using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;

namespace EmailSettings.Core.Autodetect;

/// <summary>An email address split for lookups: the domain in lower-case ASCII (IDN as punycode).</summary>
internal sealed record MailAddressParts(string Address, string LocalPart, string Domain)
{
    private static readonly IdnMapping Idn = new();

    /// <summary>The parts, or null and the message to show next to the address field.</summary>
    public static (MailAddressParts? Parts, string? Error) Parse(string? emailAddress)
    {
        var error = FieldRules.Email(emailAddress, "Email Address");
        if (error is not null)
        {
            return (null, error);
        }
        var address = emailAddress!.Trim();
        var at = address.LastIndexOf('@');
        return (new MailAddressParts(address, address[..at], Idn.GetAscii(address[(at + 1)..].TrimEnd('.')).ToLowerInvariant()), null);
    }
}

/// <summary>
/// Turns the servers a source offers into what the dialogs can hold: the Use TLS toggle plus port
/// (<see cref="TlsPolicy"/>: TLS on 993/465 is TLS on connect, on any other port STARTTLS), and a username for this address.
/// </summary>
internal static partial class SettingsMapper
{
    public static (DetectedMailSettings? Settings, string? Error) Map(
        MailAddressParts address, MailConfig config, SettingsSource source, string? note = null, OAuth2Provider? knownProvider = null)
    {
        var notes = new List<string>();
        if (note is not null)
        {
            notes.Add(note);
        }
        var imap = Choose(config.Imap, "IMAP", TlsPolicy.ImapImplicitTlsPort, address, config.OAuth2Issuer, knownProvider, notes);
        var smtp = Choose(config.Smtp, "SMTP", TlsPolicy.SmtpImplicitTlsPort, address, config.OAuth2Issuer, knownProvider, notes);
        if (imap is null && smtp is null)
        {
            var why = config.Imap.Count + config.Smtp.Count == 0
                ? config.OffersPop3 ? "it offers only POP3, no IMAP or SMTP server" : "it lists no IMAP or SMTP server"
                : "none of its IMAP or SMTP servers can be used: " + string.Join(" ", notes);
            return (null, why);
        }
        if (imap is null)
        {
            notes.Add(config.OffersPop3 ? "No IMAP server is offered (only POP3): incoming email cannot be synced." : "No IMAP server is offered.");
        }
        if (smtp is null)
        {
            notes.Add("No SMTP server is offered.");
        }
        var required = (imap?.Authentication == ServerAuthentication.OAuth2 || smtp?.Authentication == ServerAuthentication.OAuth2);
        if (required && (imap?.OAuth2Provider ?? smtp?.OAuth2Provider) is null)
        {
            notes.Add("The server accepts only OAuth2 sign-in, which the portal offers for Microsoft and Google only.");
        }
        var settings = new DetectedMailSettings(
            address.Address,
            address.Domain,
            config.ProviderName,
            imap is null ? null : new ProposedImapSettings(imap.Host, imap.Port, imap.UseTls, imap.Username, imap.Authentication, imap.OAuth2Provider),
            smtp is null ? null : new ProposedSmtpSettings(smtp.Host, smtp.Port, smtp.UseTls, smtp.Username, smtp.Authentication, smtp.OAuth2Provider),
            source,
            notes);
        return (settings, null);
    }

    /// <summary>Config-v1.1 servers from a preset.</summary>
    public static MailConfig ToConfig(ProviderPreset preset)
    {
        IReadOnlyList<AuthMethod> auth = preset.Authentication switch
        {
            ServerAuthentication.OAuth2 => [AuthMethod.OAuth2],
            ServerAuthentication.PasswordOrOAuth2 => [AuthMethod.Password, AuthMethod.OAuth2],
            ServerAuthentication.None => [AuthMethod.None],
            _ => [AuthMethod.Password],
        };
        return new MailConfig(
            preset.Name,
            [new ConfigServer(preset.Imap.Host, preset.Imap.Port, preset.Imap.SocketType, preset.Imap.Username, auth)],
            [new ConfigServer(preset.Smtp.Host, preset.Smtp.Port, preset.Smtp.SocketType, preset.Smtp.Username, auth)],
            OffersPop3: false,
            OAuth2Issuer: null);
    }

    private sealed record Chosen(string Host, int Port, bool UseTls, string? Username, ServerAuthentication Authentication, OAuth2Provider? OAuth2Provider);

    /// <summary>The first server (in the file's order of preference) the dialog can express, preferring encrypted ones.</summary>
    private static Chosen? Choose(
        IReadOnlyList<ConfigServer> servers, string protocol, int implicitTlsPort, MailAddressParts address,
        string? issuer, OAuth2Provider? knownProvider, List<string> notes)
    {
        Chosen? plain = null;
        foreach (var server in servers)
        {
            var host = Substitute(server.Host, address).Trim().TrimEnd('.').ToLowerInvariant();
            if (FieldRules.Host(host, "Host", "Port") is not null || Placeholder().IsMatch(host))
            {
                notes.Add($"{protocol} host \"{Shorten(server.Host)}\" is not a valid host name; skipped.");
                continue;
            }
            if (server.SocketType == MailSocketType.Ssl && server.Port != implicitTlsPort)
            {
                notes.Add($"{protocol} {host}:{server.Port} with TLS on connect cannot be set here (the TLS toggle means TLS on connect only on port {implicitTlsPort}); skipped.");
                continue;
            }
            if (server.SocketType == MailSocketType.StartTls && server.Port == implicitTlsPort)
            {
                notes.Add($"{protocol} {host}:{server.Port} with STARTTLS cannot be set here (port {implicitTlsPort} means TLS on connect); skipped.");
                continue;
            }
            var methods = server.Authentication.Count == 0 ? [AuthMethod.Password] : server.Authentication;
            var password = methods.Contains(AuthMethod.Password);
            var oauth = methods.Contains(AuthMethod.OAuth2);
            var none = methods.Contains(AuthMethod.None);
            if (!password && !oauth && !none)
            {
                notes.Add($"{protocol} {host}:{server.Port} needs a sign-in method the portal does not support; skipped.");
                continue;
            }
            var authentication = password && oauth ? ServerAuthentication.PasswordOrOAuth2
                : password ? ServerAuthentication.Password
                : oauth ? ServerAuthentication.OAuth2
                : ServerAuthentication.None;
            var username = authentication == ServerAuthentication.None ? null : Username(server.Username, address, notes);
            var chosen = new Chosen(host, server.Port, server.SocketType != MailSocketType.Plain, username, authentication,
                oauth ? knownProvider ?? ProviderOf(issuer, host) : null);
            if (chosen.UseTls)
            {
                return chosen;
            }
            plain ??= chosen;
        }
        if (plain is not null)
        {
            notes.Add($"{protocol} on {plain.Host}:{plain.Port} is offered only without encryption: the password would travel unencrypted.");
        }
        return plain;
    }

    private static string Username(string? template, MailAddressParts address, List<string> notes)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return address.Address;
        }
        var username = Substitute(template.Trim(), address);
        if (Placeholder().IsMatch(username) || username.Length > FieldRules.UsernameMaxLength)
        {
            notes.Add("The username form in the file is not understood; the full email address is proposed.");
            return address.Address;
        }
        return username;
    }

    private static string Substitute(string value, MailAddressParts address) => value
        .Replace("%EMAILADDRESS%", address.Address, StringComparison.OrdinalIgnoreCase)
        .Replace("%EMAILLOCALPART%", address.LocalPart, StringComparison.OrdinalIgnoreCase)
        .Replace("%EMAILDOMAIN%", address.Domain, StringComparison.OrdinalIgnoreCase);

    private static OAuth2Provider? ProviderOf(string? issuer, string host)
    {
        string[] microsoft = ["login.microsoftonline.com", "office365.com", "outlook.com", "hotmail.com", "live.com"];
        string[] google = ["accounts.google.com", "gmail.com", "googlemail.com", "google.com"];
        foreach (var name in new[] { issuer, host }.OfType<string>().Select(n => n.ToLowerInvariant()))
        {
            if (microsoft.Any(d => name == d || name.EndsWith("." + d, StringComparison.Ordinal)))
            {
                return OAuth2Provider.Microsoft;
            }
            if (google.Any(d => name == d || name.EndsWith("." + d, StringComparison.Ordinal)))
            {
                return OAuth2Provider.Google;
            }
        }
        return null;
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..60] + "…";

    [GeneratedRegex("%[A-Za-z]+%")]
    private static partial Regex Placeholder();
}
