using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace EmailSettings.Core.Autodetect;

/// <summary>The socketType of a config-v1.1 server.</summary>
public enum MailSocketType
{
    /// <summary>"SSL": TLS from the first byte (IMAP 993, SMTP 465).</summary>
    Ssl,

    /// <summary>"STARTTLS": plain connect, then upgraded to TLS.</summary>
    StartTls,

    /// <summary>"plain": no encryption.</summary>
    Plain,
}

/// <summary>How a config-v1.1 server lets users sign in (its &lt;authentication&gt; values, grouped).</summary>
internal enum AuthMethod
{
    Password,
    OAuth2,
    None,
    Unsupported,
}

/// <summary>One incomingServer or outgoingServer, placeholders (%EMAILADDRESS% ...) still in.</summary>
internal sealed record ConfigServer(string Host, int Port, MailSocketType SocketType, string? Username, IReadOnlyList<AuthMethod> Authentication);

/// <summary>What a config-v1.1.xml file says about IMAP and SMTP.</summary>
internal sealed record MailConfig(
    string? ProviderName,
    IReadOnlyList<ConfigServer> Imap,
    IReadOnlyList<ConfigServer> Smtp,
    bool OffersPop3,
    string? OAuth2Issuer);

/// <summary>
/// Reads Thunderbird's config-v1.1.xml (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat)
/// without DTDs, external resources or entity expansion, and with a size limit.
/// </summary>
internal static class AutoconfigXml
{
    public static (MailConfig? Config, string? Error) Parse(string xml, int maxCharacters) =>
        Parse(System.Text.Encoding.UTF8.GetBytes(xml), maxCharacters);

    /// <summary>Parses the file's bytes (encoding from its BOM or XML declaration); on failure returns null and what is wrong with the file.</summary>
    public static (MailConfig? Config, string? Error) Parse(byte[] content, int maxCharacters)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
        };
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(content, writable: false), settings);
            document = XDocument.Load(reader);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "the file contains a DTD (<!DOCTYPE>), which is not allowed");
        }
        catch (XmlException e) when (e.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
        {
            return (null, $"the file is larger than {maxCharacters / 1024} KB");
        }
        catch (XmlException e)
        {
            return (null, $"the file is not well-formed XML (line {e.LineNumber}, position {e.LinePosition})");
        }

        var root = document.Root!;
        if (document.Descendants().Any(e => string.Equals(e.Name.LocalName, "script", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, "the file contains a <script> element, so it is not a mail configuration; ignored");
        }
        if (root.Name.LocalName != "clientConfig")
        {
            return (null, $"the file is not a mail configuration (its root element is <{root.Name.LocalName}>, not <clientConfig>)");
        }
        var provider = root.Elements().FirstOrDefault(e => e.Name.LocalName == "emailProvider");
        if (provider is null)
        {
            return (null, "the file has no <emailProvider> element");
        }

        var incoming = Children(provider, "incomingServer").ToList();
        var imap = incoming.Where(s => IsType(s, "imap")).Select(ReadServer).OfType<ConfigServer>().ToList();
        var smtp = Children(provider, "outgoingServer").Where(s => IsType(s, "smtp")).Select(ReadServer).OfType<ConfigServer>().ToList();
        var name = Text(provider, "displayName") ?? Text(provider, "displayShortName");
        var issuer = root.Elements().FirstOrDefault(e => e.Name.LocalName == "oAuth2") is { } oauth ? Text(oauth, "issuer") : null;
        return (new MailConfig(name, imap, smtp, incoming.Any(s => IsType(s, "pop3")), issuer), null);
    }

    private static IEnumerable<XElement> Children(XElement parent, string name) => parent.Elements().Where(e => e.Name.LocalName == name);

    private static bool IsType(XElement server, string type) =>
        string.Equals((string?)server.Attribute("type"), type, StringComparison.OrdinalIgnoreCase);

    private static string? Text(XElement parent, string name)
    {
        var element = Children(parent, name).FirstOrDefault();
        // Only plain text counts: an element inside (<hostname><b>x</b></hostname>) makes the value unusable.
        if (element is null || element.HasElements)
        {
            return null;
        }
        var value = element.Value.Trim();
        return value.Length == 0 ? null : value;
    }

    /// <summary>A server with a host, a valid port and a known socketType; otherwise null (the file's other servers may still do).</summary>
    private static ConfigServer? ReadServer(XElement server)
    {
        var host = Text(server, "hostname");
        var portText = Text(server, "port");
        var socketType = Text(server, "socketType") switch
        {
            { } s when s.Equals("SSL", StringComparison.OrdinalIgnoreCase) => MailSocketType.Ssl,
            { } s when s.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase) => MailSocketType.StartTls,
            { } s when s.Equals("plain", StringComparison.OrdinalIgnoreCase) => MailSocketType.Plain,
            _ => (MailSocketType?)null,
        };
        if (host is null || socketType is null
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }
        var authentication = Children(server, "authentication")
            .Select(a => a.HasElements ? AuthMethod.Unsupported : ToAuthMethod(a.Value.Trim()))
            .Distinct()
            .ToList();
        return new ConfigServer(host, port, socketType.Value, Text(server, "username"), authentication);
    }

    private static AuthMethod ToAuthMethod(string value) => value.ToLowerInvariant() switch
    {
        "password-cleartext" or "plain" or "password-encrypted" or "secure" or "ntlm" => AuthMethod.Password,
        "oauth2" => AuthMethod.OAuth2,
        "none" or "client-ip-address" or "smtp-after-pop" => AuthMethod.None,
        _ => AuthMethod.Unsupported, // GSSAPI, TLS-client-cert: nothing the portal can sign in with
    };
}
