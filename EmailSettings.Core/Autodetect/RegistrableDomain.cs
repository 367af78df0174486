namespace EmailSettings.Core.Autodetect;

/// <summary>
/// The registrable domain of a host (aspmx.l.google.com → google.com, mx.example.co.uk → example.co.uk).
/// No public-suffix-list package is served here, so this knows the common two-label public suffixes and
/// otherwise takes the last two labels; for an MX host that is what the provider lookups need.
/// </summary>
internal static class RegistrableDomain
{
    private static readonly HashSet<string> TwoLabelSuffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "net.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au",
        "co.nz", "net.nz", "org.nz", "co.za", "org.za", "co.in", "net.in", "org.in", "co.jp", "ne.jp", "or.jp", "ac.jp",
        "co.kr", "or.kr", "com.br", "net.br", "org.br", "com.mx", "com.ar", "com.cn", "net.cn", "org.cn", "com.hk",
        "com.tw", "com.sg", "com.my", "com.tr", "com.pl", "com.es", "com.pt", "co.il", "co.th", "com.vn", "com.ph",
        "com.ua", "com.ru", "co.id", "or.id", "com.sa", "com.eg", "com.co", "com.pe", "com.gr", "co.at", "or.at",
    };

    public static string Of(string host)
    {
        var labels = host.Trim().TrimEnd('.').ToLowerInvariant().Split('.');
        if (labels.Length <= 2)
        {
            return string.Join('.', labels);
        }
        var take = TwoLabelSuffixes.Contains($"{labels[^2]}.{labels[^1]}") ? 3 : 2;
        return string.Join('.', labels[^take..]);
    }
}
