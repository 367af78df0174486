using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace EmailSettings.Core.Autodetect;

/// <summary>The answer to one DNS query: the records, or why there are none.</summary>
internal sealed record DnsAnswer<T>(StepOutcome Outcome, IReadOnlyList<T> Records, string? Reason);

/// <summary>MX and SRV queries with DnsClient, at Autodetect:DnsServer or the system resolver, each with its own time limit.</summary>
internal sealed class MailDns
{
    private readonly AutodetectOptions options;
    private readonly TimeProvider time;
    private readonly Lazy<LookupClient> client;

    public MailDns(AutodetectOptions options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
        client = new Lazy<LookupClient>(() =>
        {
            var endPoint = options.DnsEndPoint;
            var clientOptions = endPoint is null ? new LookupClientOptions() : new LookupClientOptions(new NameServer(endPoint));
            // Two tries within the limit: a lost UDP datagram should not cost the whole lookup.
            clientOptions.Timeout = options.DnsTimeout / 2;
            clientOptions.Retries = 1;
            clientOptions.ThrowDnsErrors = false;
            clientOptions.UseTcpFallback = true;
            clientOptions.ContinueOnDnsError = false;
            return new LookupClient(clientOptions);
        });
    }

    /// <summary>Where queries go, for messages: "the DNS server 192.0.2.53:53" or "the system's DNS resolver".</summary>
    public string ServerName => options.DnsEndPoint is { } e ? $"the DNS server {e}" : "the system's DNS resolver";

    public Task<DnsAnswer<MxRecord>> MxAsync(string domain, CancellationToken cancellationToken) =>
        QueryAsync(domain, QueryType.MX, r => r.Answers.MxRecords().ToList(), cancellationToken);

    public Task<DnsAnswer<SrvRecord>> SrvAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.SRV, r => r.Answers.SrvRecords().ToList(), cancellationToken);

    private async Task<DnsAnswer<T>> QueryAsync<T>(
        string name, QueryType type, Func<IDnsQueryResponse, List<T>> select, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(options.DnsTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            // WaitAsync: the limit holds even where the library notices cancellation late.
            var response = await client.Value.QueryAsync(name, type, QueryClass.IN, linked.Token).WaitAsync(linked.Token);
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            {
                return new DnsAnswer<T>(StepOutcome.NotFound, [], "the name does not exist");
            }
            if (response.HasError)
            {
                return new DnsAnswer<T>(StepOutcome.Failed, [], $"{ServerName} answered {response.ErrorMessage}");
            }
            var records = select(response);
            return records.Count == 0
                ? new DnsAnswer<T>(StepOutcome.NotFound, [], $"no {type} records")
                : new DnsAnswer<T>(StepOutcome.Found, records, null);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return TimedOut();
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            return TimedOut();
        }
        catch (DnsResponseException e)
        {
            return new DnsAnswer<T>(StepOutcome.Failed, [], $"the DNS lookup failed: {e.Message}");
        }
        catch (SocketException e)
        {
            return new DnsAnswer<T>(StepOutcome.Failed, [], $"{ServerName} cannot be reached ({e.SocketErrorCode})");
        }
        catch (InvalidOperationException e) when (!client.IsValueCreated)
        {
            return new DnsAnswer<T>(StepOutcome.Failed, [], $"no DNS server is configured ({e.Message}); set Autodetect:DnsServer");
        }

        DnsAnswer<T> TimedOut() => new(StepOutcome.TimedOut, [], $"{ServerName} did not answer within {AutoconfigFetcher.Seconds(options.DnsTimeout)}");
    }
}
