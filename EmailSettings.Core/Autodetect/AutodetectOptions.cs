using System.Net;

namespace EmailSettings.Core.Autodetect;

/// <summary>Configuration section "Autodetect": where and how long settings detection looks.</summary>
public sealed class AutodetectOptions
{
    public const string SectionName = "Autodetect";
    public const string DefaultIspdbUrl = "https://autoconfig.thunderbird.net/v1.1/";

    public static readonly TimeSpan MaximumTimeout = TimeSpan.FromMinutes(1);

    /// <summary>False: only the built-in provider presets answer, nothing is looked up on the network.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Base URL of the Thunderbird ISPDB (or a mirror of it); the domain is appended.</summary>
    public string IspdbUrl { get; set; } = DefaultIspdbUrl;

    /// <summary>"ip" or "ip:port" ("[v6]:port") of the DNS server for MX and SRV; empty: the system resolver.</summary>
    public string? DnsServer { get; set; }

    /// <summary>The whole detection answers within this time, found or not.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time limit of one HTTP request (connect, TLS, headers and body).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Time limit of one DNS query.</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest configuration file read, in bytes; a larger one is ignored.</summary>
    public int MaxFileBytes { get; set; } = 128 * 1024;

    /// <summary>Redirects followed per file before giving up.</summary>
    public int MaxRedirects { get; set; } = 3;

    /// <summary>
    /// False (default): autoconfig files are fetched only from public addresses, so a typed domain cannot
    /// make the portal call loopback or intranet hosts. The ISPDB URL is the operator's and is always allowed.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    internal Uri IspdbBaseUri => new(IspdbUrl.EndsWith('/') ? IspdbUrl : IspdbUrl + "/");

    internal IPEndPoint? DnsEndPoint => string.IsNullOrWhiteSpace(DnsServer) ? null : ParseDnsServer(DnsServer.Trim());

    /// <summary>The first thing wrong with these settings, said as what to set; null when valid.</summary>
    internal string? Validate()
    {
        if (!Uri.TryCreate(IspdbUrl, UriKind.Absolute, out var ispdb) || (ispdb.Scheme != Uri.UriSchemeHttps && ispdb.Scheme != Uri.UriSchemeHttp))
        {
            return $"{SectionName}:IspdbUrl must be an absolute http(s) URL, for example \"{DefaultIspdbUrl}\".";
        }
        if (!string.IsNullOrWhiteSpace(DnsServer) && ParseDnsServer(DnsServer.Trim()) is null)
        {
            return $"{SectionName}:DnsServer must be an IP address with an optional port (\"192.0.2.53\", \"192.0.2.53:5353\", \"[2001:db8::53]:53\"), or empty for the system resolver.";
        }
        if (Timeout <= TimeSpan.Zero || Timeout > MaximumTimeout)
        {
            return $"{SectionName}:Timeout must be a positive time span of at most 00:01:00, for example \"00:00:05\".";
        }
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > Timeout)
        {
            return $"{SectionName}:RequestTimeout must be positive and at most {SectionName}:Timeout, for example \"00:00:03\".";
        }
        if (DnsTimeout <= TimeSpan.Zero || DnsTimeout > Timeout)
        {
            return $"{SectionName}:DnsTimeout must be positive and at most {SectionName}:Timeout, for example \"00:00:02\".";
        }
        if (MaxFileBytes is < 1024 or > 4 * 1024 * 1024)
        {
            return $"{SectionName}:MaxFileBytes must be between 1024 and 4194304 (bytes), for example 131072.";
        }
        if (MaxRedirects is < 0 or > 10)
        {
            return $"{SectionName}:MaxRedirects must be between 0 and 10.";
        }
        return null;
    }

    private static IPEndPoint? ParseDnsServer(string value)
    {
        if (IPAddress.TryParse(value, out var address))
        {
            return new IPEndPoint(address, 53);
        }
        return IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0 && value.Contains(':', StringComparison.Ordinal)
            ? endPoint
            : null;
    }
}
