using System.Collections.Concurrent;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A real DNS server (ARSoft.Tools.Net) on 127.0.0.1, UDP and TCP, answering from records the test adds:
/// A, MX and SRV, a chosen error code per name, NXDOMAIN for everything else. It logs every question.
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private const int Ttl = 60;
    private readonly ConcurrentDictionary<(string Name, RecordType Type), List<DnsRecordBase>> records = new();
    private readonly ConcurrentDictionary<string, ReturnCode> failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> questions = new();
    private readonly DnsServer server;

    public TestDnsServer()
    {
        Port = FreePort.Next();
        var endPoint = new IPEndPoint(IPAddress.Loopback, Port);
        server = new DnsServer(new UdpServerTransport(endPoint), new TcpServerTransport(endPoint));
        server.QueryReceived += OnQueryReceivedAsync;
        server.Start();
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", the form of Autodetect:DnsServer.</summary>
    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>Every question asked so far, as "MX example.test".</summary>
    public IReadOnlyCollection<string> Questions => questions.ToArray();

    public TestDnsServer AddA(string name, IPAddress address) => Add(name, RecordType.A, new ARecord(Name(name), Ttl, address));

    public TestDnsServer AddMx(string domain, ushort preference, string exchange) =>
        Add(domain, RecordType.Mx, new MxRecord(Name(domain), Ttl, preference, exchange == "." ? DomainName.Root : Name(exchange)));

    public TestDnsServer AddSrv(string name, ushort priority, ushort weight, ushort port, string target) =>
        Add(name, RecordType.Srv, new SrvRecord(Name(name), Ttl, priority, weight, port, target == "." ? DomainName.Root : Name(target)));

    /// <summary>Every question about <paramref name="name"/> gets this return code (e.g. ServerFailure).</summary>
    public TestDnsServer FailWith(string name, ReturnCode code)
    {
        failures[name.TrimEnd('.')] = code;
        return this;
    }

    public void Dispose() => server.Stop();

    private TestDnsServer Add(string name, RecordType type, DnsRecordBase record)
    {
        records.AddOrUpdate((Key(name), type), _ => [record], (_, list) =>
        {
            lock (list)
            {
                list.Add(record);
            }
            return list;
        });
        return this;
    }

    private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
        {
            return Task.CompletedTask;
        }
        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        foreach (var question in query.Questions)
        {
            var name = Key(question.Name.ToString());
            questions.Enqueue($"{question.RecordType.ToString().ToUpperInvariant()} {name}");
            if (failures.TryGetValue(name, out var code))
            {
                response.ReturnCode = code;
                continue;
            }
            if (records.TryGetValue((name, question.RecordType), out var answers))
            {
                lock (answers)
                {
                    response.AnswerRecords.AddRange(answers);
                }
            }
            else if (!records.Keys.Any(k => k.Name == name))
            {
                response.ReturnCode = ReturnCode.NxDomain;
            }
        }
        e.Response = response;
        return Task.CompletedTask;
    }

    private static DomainName Name(string name) => DomainName.Parse(name.TrimEnd('.'));

    private static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();
}
