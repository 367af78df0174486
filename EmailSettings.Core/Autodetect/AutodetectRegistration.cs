using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Autodetect;

public static class AutodetectRegistration
{
    /// <summary>The named HttpClient the detector fetches with; tests replace its primary handler to reach loopback servers.</summary>
    public const string HttpClientName = "EmailSettings.Autodetect";

    /// <summary>Set per request: true for the operator's ISPDB URL, false for URLs derived from a typed address.</summary>
    internal static readonly HttpRequestOptionsKey<bool> AllowPrivateNetwork = new("EmailSettings.Autodetect.AllowPrivateNetwork");

    /// <summary>Settings detection from an email address (<see cref="MailSettingsDetector"/>) and the "Autodetect" options.</summary>
    public static IHostApplicationBuilder AddMailSettingsAutodetect(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMailSettingsAutodetect();
        return builder;
    }

    /// <inheritdoc cref="AddMailSettingsAutodetect(IHostApplicationBuilder)"/>
    internal static IServiceCollection AddMailSettingsAutodetect(this IServiceCollection services)
    {
        services.AddOptions<AutodetectOptions>()
            .BindConfiguration(AutodetectOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AutodetectOptions>, AutodetectOptionsValidator>();
        services.AddHttpClient(HttpClientName, client =>
            {
                // The detector sets one time limit per file (through TimeProvider); HttpClient's own would race it.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("EmailSettings-Autodetect/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(sp.GetRequiredService<IOptions<AutodetectOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MailSettingsDetector>();
        return services;
    }

    /// <summary>
    /// The production handler: system certificate validation (untouched), no automatic redirects (the fetcher follows
    /// them itself), and a connect step that refuses loopback and private addresses unless the request allows them.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(AutodetectOptions options) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = options.RequestTimeout,
        MaxResponseHeadersLength = 32,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var allowPrivate = options.AllowPrivateNetworks
                || (context.InitialRequestMessage.Options.TryGetValue(AllowPrivateNetwork, out var allowed) && allowed)
                // Connecting to a proxy, not to the file's host: the proxy decides where the request may go.
                || !string.Equals(host, context.InitialRequestMessage.RequestUri?.IdnHost, StringComparison.OrdinalIgnoreCase);
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var usable = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
            if (usable.Length == 0)
            {
                throw new PrivateNetworkRefusedException(host);
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(usable, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>False for loopback, private (RFC 1918, unique local), link-local, shared (CGNAT), unspecified and multicast addresses.</summary>
    internal static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] >= 224
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] is >= 64 and <= 127));
        }
        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (bytes[0] & 0xFE) == 0xFC);
    }
}

/// <summary>Fails start-up with the first wrong "Autodetect" setting, said as what to set.</summary>
internal sealed class AutodetectOptionsValidator : IValidateOptions<AutodetectOptions>
{
    public ValidateOptionsResult Validate(string? name, AutodetectOptions options) =>
        options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
}
