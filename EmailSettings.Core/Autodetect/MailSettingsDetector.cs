using System.Diagnostics;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmailSettings.Core.Autodetect;

/// <summary>
/// Proposes IMAP and SMTP settings for an email address, in Thunderbird's order (the first source with settings wins):
/// built-in presets; the domain's autoconfig (autoconfig.&lt;domain&gt; and /.well-known, HTTPS before plain HTTP);
/// the ISPDB; the same three for the registrable domain of the domain's MX host; RFC 6186/8314 SRV records.
/// Network lookups start together and are judged in that order, so a slow source costs only its own time limit and
/// the whole detection answers within Autodetect:Timeout. Expected failures (bad address, nothing found, hostile or
/// slow servers, DNS errors) come back as a result with a message; only the caller's cancellation throws.
/// </summary>
public sealed class MailSettingsDetector
{
    private readonly AutodetectOptions options;
    private readonly AutoconfigFetcher fetcher;
    private readonly MailDns dns;
    private readonly TimeProvider time;
    private readonly ILogger<MailSettingsDetector> logger;

    public MailSettingsDetector(
        IHttpClientFactory httpClientFactory, IOptions<AutodetectOptions> options, TimeProvider timeProvider, ILogger<MailSettingsDetector> logger)
    {
        this.options = options.Value;
        time = timeProvider;
        this.logger = logger;
        fetcher = new AutoconfigFetcher(httpClientFactory, this.options, timeProvider);
        dns = new MailDns(this.options, timeProvider);
    }

    /// <summary>False when Autodetect:Enabled is off: only the built-in presets answer.</summary>
    public bool NetworkLookupsEnabled => options.Enabled;

    /// <summary>Looks up settings for <paramref name="emailAddress"/>; throws only <see cref="OperationCanceledException"/> when the caller cancels.</summary>
    public async Task<MailSettingsDetection> DetectAsync(string emailAddress, CancellationToken cancellationToken = default)
    {
        var (address, error) = MailAddressParts.Parse(emailAddress);
        if (address is null)
        {
            return new MailSettingsDetection(DetectionStatus.InvalidAddress, error!, null, []);
        }
        var started = Stopwatch.GetTimestamp();
        var result = await DetectCoreAsync(address, cancellationToken);
        logger.LogInformation("Settings detection for {Domain}: {Status} ({Source}) in {ElapsedMs:0} ms",
            address.Domain, result.Status, result.Settings?.Source.Kind.ToString() ?? "-", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    private async Task<MailSettingsDetection> DetectCoreAsync(MailAddressParts address, CancellationToken cancellationToken)
    {
        const string presets = "Built-in presets";
        if (ProviderPresets.ForAddressDomain(address.Domain) is { } preset)
        {
            var source = new SettingsSource(SettingsSourceKind.BuiltInPreset, $"Built-in settings for {preset.Name}", true, address.Domain);
            var step = new DetectionStep(DetectionStepKind.BuiltInPreset, presets, StepOutcome.Found, $"{address.Domain} is {preset.Name}.");
            return FromPreset(address, preset, source, [step]);
        }
        var steps = new List<DetectionStep>
        {
            new(DetectionStepKind.BuiltInPreset, presets, StepOutcome.NotFound, $"No built-in settings for {address.Domain}."),
        };
        if (!options.Enabled)
        {
            return new MailSettingsDetection(DetectionStatus.NotFound,
                $"No built-in settings for {address.Domain}, and looking settings up on the network is turned off here (Autodetect:Enabled). Enter the server settings by hand.",
                null, steps);
        }

        var endsAt = time.GetUtcNow() + options.Timeout;
        using var deadline = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var lookups = FileLookups(address, address.Domain, mx: null, linked.Token)
                .Append(Start(DetectionStepKind.MxLookup, $"MX {address.Domain}", t => ViaMxAsync(address, t), linked.Token))
                .Append(Start(DetectionStepKind.DnsSrv, $"SRV {address.Domain}", t => SrvAsync(address, t), linked.Token))
                .ToList();
            var (settings, found) = await FirstInOrderAsync(lookups, steps, deadline, cancellationToken);
            if (settings is not null)
            {
                return new MailSettingsDetection(DetectionStatus.Found, settings.Source.DisplayText, settings, steps);
            }
            var problem = steps.FirstOrDefault(s => s.Outcome is StepOutcome.Failed or StepOutcome.TimedOut)?.Message;
            // A lookup's own limit can fire at the same moment as the whole limit: the clock decides which it was.
            return found == LookupEnd.TimedOut || time.GetUtcNow() >= endsAt
                ? new MailSettingsDetection(DetectionStatus.TimedOut,
                    $"No settings found for {address.Domain} within {AutoconfigFetcher.Seconds(options.Timeout)}. Enter the server settings by hand.", null, steps)
                : new MailSettingsDetection(DetectionStatus.NotFound,
                    $"No settings found for {address.Domain}.{(problem is null ? "" : " " + problem)} Enter the server settings by hand.", null, steps);
        }
        finally
        {
            // Stop at the first hit: whatever is still running is not needed any more.
            await linked.CancelAsync();
        }
    }

    private enum LookupEnd
    {
        Done,
        TimedOut,
    }

    /// <summary>One source's answer: the steps it took and its settings, if any.</summary>
    private sealed record LookupResult(IReadOnlyList<DetectionStep> Steps, DetectedMailSettings? Settings)
    {
        public static LookupResult Of(DetectionStep step, DetectedMailSettings? settings = null) => new([step], settings);
    }

    /// <summary>A started lookup and how to name it when it does not finish.</summary>
    private sealed record Lookup(DetectionStepKind Kind, string Source, Task<LookupResult> Task);

    private Lookup Start(DetectionStepKind kind, string source, Func<CancellationToken, Task<LookupResult>> run, CancellationToken cancellationToken) =>
        new(kind, source, LogEndAsync(source, run(cancellationToken)));

    /// <summary>Logs when a lookup has answered, whether or not its answer is used (the order decides that).</summary>
    private async Task<LookupResult> LogEndAsync(string source, Task<LookupResult> lookup)
    {
        var result = await lookup;
        logger.LogDebug("Settings detection lookup {Source} answered: {Outcome}", source, result.Steps.Count > 0 ? result.Steps[^1].Outcome : StepOutcome.NotFound);
        return result;
    }

    /// <summary>
    /// Waits for the lookups in their order and returns the first with settings. When the time limit passes first,
    /// a later lookup that has already answered with settings still wins over one that has not answered at all.
    /// </summary>
    private async Task<(DetectedMailSettings? Settings, LookupEnd End)> FirstInOrderAsync(
        IReadOnlyList<Lookup> lookups, List<DetectionStep> steps, CancellationTokenSource? deadline, CancellationToken cancellationToken)
    {
        for (var i = 0; i < lookups.Count; i++)
        {
            LookupResult result;
            try
            {
                result = await lookups[i].Task.WaitAsync(deadline?.Token ?? CancellationToken.None);
            }
            catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
            {
                return (TimedOut(lookups, i, steps), LookupEnd.TimedOut);
            }
            steps.AddRange(result.Steps);
            if (result.Settings is not null)
            {
                steps.AddRange(lookups.Skip(i + 1).Select(l => new DetectionStep(l.Kind, l.Source, StepOutcome.Skipped, "Not needed: an earlier source had settings.")));
                return (result.Settings, LookupEnd.Done);
            }
        }
        return (null, LookupEnd.Done);
    }

    private DetectedMailSettings? TimedOut(IReadOnlyList<Lookup> lookups, int first, List<DetectionStep> steps)
    {
        DetectedMailSettings? settings = null;
        foreach (var lookup in lookups.Skip(first))
        {
            if (settings is null && lookup.Task.IsCompletedSuccessfully)
            {
                steps.AddRange(lookup.Task.Result.Steps);
                settings = lookup.Task.Result.Settings;
            }
            else if (lookup.Task.IsCompletedSuccessfully)
            {
                steps.Add(new DetectionStep(lookup.Kind, lookup.Source, StepOutcome.Skipped, "Not needed: an earlier source had settings."));
            }
            else
            {
                steps.Add(new DetectionStep(lookup.Kind, lookup.Source, StepOutcome.TimedOut,
                    $"{lookup.Source}: no answer within the time limit of {AutoconfigFetcher.Seconds(options.Timeout)}."));
            }
        }
        return settings;
    }

    /// <summary>autoconfig.&lt;domain&gt; and /.well-known over HTTPS, the same over plain HTTP, then the ISPDB, all started now.</summary>
    private IEnumerable<Lookup> FileLookups(MailAddressParts address, string domain, MxContext? mx, CancellationToken cancellationToken)
    {
        var query = "?emailaddress=" + Uri.EscapeDataString(address.Address);
        foreach (var scheme in new[] { Uri.UriSchemeHttps, Uri.UriSchemeHttp })
        {
            var autoconfig = new Uri($"{scheme}://autoconfig.{domain}/mail/config-v1.1.xml{query}");
            var wellKnown = new Uri($"{scheme}://{domain}/.well-known/autoconfig/mail/config-v1.1.xml");
            yield return StartFile(DetectionStepKind.DomainAutoconfig, autoconfig, $"autoconfig.{domain}", address, domain, mx, cancellationToken);
            yield return StartFile(DetectionStepKind.DomainAutoconfig, wellKnown, $"{domain}/.well-known/autoconfig", address, domain, mx, cancellationToken);
        }
        yield return StartFile(DetectionStepKind.Ispdb, new Uri(options.IspdbBaseUri, Uri.EscapeDataString(domain)), "The Thunderbird database", address, domain, mx, cancellationToken);
    }

    private Lookup StartFile(DetectionStepKind kind, Uri url, string label, MailAddressParts address, string domain, MxContext? mx, CancellationToken cancellationToken)
    {
        var shown = url.GetLeftPart(UriPartial.Path);
        return Start(kind, shown, t => FileAsync(kind, url, shown, label, address, domain, mx, t), cancellationToken);
    }

    private async Task<LookupResult> FileAsync(
        DetectionStepKind kind, Uri url, string shown, string label, MailAddressParts address, string domain, MxContext? mx, CancellationToken cancellationToken)
    {
        var file = await fetcher.FetchAsync(url, allowPrivateNetwork: kind == DetectionStepKind.Ispdb, cancellationToken);
        if (file.Content is null)
        {
            var reason = kind == DetectionStepKind.Ispdb && file.Outcome == StepOutcome.NotFound ? $"no entry for {domain}" : file.Reason;
            return LookupResult.Of(new DetectionStep(kind, shown, file.Outcome, $"{label}: {reason}."));
        }
        var (config, error) = AutoconfigXml.Parse(file.Content, options.MaxFileBytes);
        if (config is null)
        {
            return LookupResult.Of(new DetectionStep(kind, shown, StepOutcome.Failed, $"{label}: {error}."));
        }
        var description = kind == DetectionStepKind.Ispdb
            ? mx is null ? "Found in the Thunderbird database" : $"Found in the Thunderbird database under {domain}"
            : $"From {domain}'s autoconfig";
        var source = new SettingsSource(
            kind == DetectionStepKind.Ispdb ? SettingsSourceKind.Ispdb : SettingsSourceKind.DomainAutoconfig,
            mx is null ? description : $"{description} ({mx.Explanation})",
            file.Https, domain, mx?.Host, url);
        var note = file.Https ? null : "These settings came over plain HTTP, so the host names are not verified: check them before saving.";
        var (settings, unusable) = SettingsMapper.Map(address, config, source, note);
        return settings is null
            ? LookupResult.Of(new DetectionStep(kind, shown, StepOutcome.Failed, $"{label}: the file is unusable, {unusable}."))
            : LookupResult.Of(new DetectionStep(kind, shown, StepOutcome.Found, $"{label}: settings found{(file.Https ? "" : " (plain HTTP, unverified)")}."), settings);
    }

    private sealed record MxContext(string Host, string Domain, string Explanation);

    /// <summary>The MX host's registrable domain: its preset, then its autoconfig files and ISPDB entry, in that order.</summary>
    private async Task<LookupResult> ViaMxAsync(MailAddressParts address, CancellationToken cancellationToken)
    {
        var source = $"MX {address.Domain}";
        var answer = await dns.MxAsync(address.Domain, cancellationToken);
        if (answer.Outcome != StepOutcome.Found)
        {
            return LookupResult.Of(new DetectionStep(DetectionStepKind.MxLookup, source, answer.Outcome, $"MX records of {address.Domain}: {answer.Reason}."));
        }
        var primary = answer.Records.OrderBy(r => r.Preference).First();
        var host = primary.Exchange.Value.TrimEnd('.').ToLowerInvariant();
        if (host.Length == 0)
        {
            return LookupResult.Of(new DetectionStep(DetectionStepKind.MxLookup, source, StepOutcome.NotFound,
                $"{address.Domain} has a null MX record: it receives no email."));
        }
        var mxDomain = RegistrableDomain.Of(host);
        if (mxDomain == RegistrableDomain.Of(address.Domain))
        {
            return LookupResult.Of(new DetectionStep(DetectionStepKind.MxLookup, source, StepOutcome.NotFound,
                $"Mail for {address.Domain} is handled by {host}, in its own domain: nothing more to look up."));
        }
        var mx = new MxContext(host, mxDomain, $"mail for {address.Domain} is handled by {host}");
        var steps = new List<DetectionStep>
        {
            new(DetectionStepKind.MxLookup, source, StepOutcome.Found, $"Mail for {address.Domain} is handled by {host} ({mxDomain})."),
        };
        if (ProviderPresets.ForMxDomain(mxDomain) is { } preset)
        {
            var presetSource = new SettingsSource(SettingsSourceKind.BuiltInPreset, $"Built-in settings for {preset.Name} ({mx.Explanation})", true, mxDomain, host);
            steps.Add(new DetectionStep(DetectionStepKind.BuiltInPreset, "Built-in presets", StepOutcome.Found, $"{mxDomain} is {preset.Name}."));
            return new LookupResult(steps, FromPreset(address, preset, presetSource, steps).Settings);
        }
        steps.Add(new DetectionStep(DetectionStepKind.BuiltInPreset, "Built-in presets", StepOutcome.NotFound, $"No built-in settings for {mxDomain}."));
        // The overall time limit cancels these lookups through the token; the outer wait reports them as timed out.
        var (settings, _) = await FirstInOrderAsync(FileLookups(address, mxDomain, mx, cancellationToken).ToList(), steps, deadline: null, cancellationToken);
        return new LookupResult(steps, settings);
    }

    /// <summary>RFC 6186 / RFC 8314 SRV records: _submissions and _submission for SMTP, _imaps and _imap for IMAP.</summary>
    private async Task<LookupResult> SrvAsync(MailAddressParts address, CancellationToken cancellationToken)
    {
        var source = $"SRV {address.Domain}";
        string[] services = ["_submissions._tcp", "_submission._tcp", "_imaps._tcp", "_imap._tcp"];
        var answers = await Task.WhenAll(services.Select(s => dns.SrvAsync($"{s}.{address.Domain}", cancellationToken)));
        var failure = answers.FirstOrDefault(a => a.Outcome is StepOutcome.Failed or StepOutcome.TimedOut);
        if (answers.All(a => a.Outcome != StepOutcome.Found))
        {
            return failure is not null
                ? LookupResult.Of(new DetectionStep(DetectionStepKind.DnsSrv, source, failure.Outcome, $"SRV records of {address.Domain}: {failure.Reason}."))
                : LookupResult.Of(new DetectionStep(DetectionStepKind.DnsSrv, source, StepOutcome.NotFound, $"{address.Domain} has no mail SRV records."));
        }
        var notes = new List<string> { "These settings come from DNS SRV records, which are not verified: check the host names before saving." };
        var smtp = SrvServers(answers[0], answers[1], "SMTP submission", address.Domain, notes);
        var imap = SrvServers(answers[2], answers[3], "IMAP", address.Domain, notes);
        var config = new MailConfig(null, imap, smtp, OffersPop3: false, OAuth2Issuer: null);
        var srvSource = new SettingsSource(SettingsSourceKind.DnsSrv, $"From {address.Domain}'s DNS (SRV) records", false, address.Domain);
        var (settings, unusable) = SettingsMapper.Map(address, config, srvSource);
        if (settings is null)
        {
            return LookupResult.Of(new DetectionStep(DetectionStepKind.DnsSrv, source, StepOutcome.NotFound,
                $"SRV records of {address.Domain}: {string.Join(" ", notes.Skip(1).DefaultIfEmpty(unusable!))}"));
        }
        return LookupResult.Of(new DetectionStep(DetectionStepKind.DnsSrv, source, StepOutcome.Found, $"SRV records of {address.Domain}: settings found (unverified)."),
            settings with { Notes = [.. notes, .. settings.Notes] });
    }

    /// <summary>
    /// The records of the implicit-TLS and the STARTTLS service as config servers in order of preference: lowest priority,
    /// then implicit TLS (RFC 8314), then highest weight. A "." target means the service is not offered.
    /// </summary>
    private static List<ConfigServer> SrvServers(DnsAnswer<SrvRecord> implicitTls, DnsAnswer<SrvRecord> startTls, string protocol, string domain, List<string> notes)
    {
        static bool NotOffered(SrvRecord r) => r.Target.Value.TrimEnd('.').Length == 0;
        var offered = implicitTls.Records.Where(r => !NotOffered(r)).Select(r => (Record: r, Implicit: true))
            .Concat(startTls.Records.Where(r => !NotOffered(r)).Select(r => (Record: r, Implicit: false)))
            .OrderBy(x => x.Record.Priority).ThenByDescending(x => x.Implicit).ThenByDescending(x => x.Record.Weight)
            .ToList();
        if (offered.Count == 0 && implicitTls.Records.Concat(startTls.Records).Any(NotOffered))
        {
            notes.Add($"{domain} says in DNS that it offers no {protocol} service.");
        }
        return offered
            .Select(x => new ConfigServer(x.Record.Target.Value, x.Record.Port, x.Implicit ? MailSocketType.Ssl : MailSocketType.StartTls, "%EMAILADDRESS%", [AuthMethod.Password]))
            .ToList();
    }

    private static MailSettingsDetection FromPreset(MailAddressParts address, ProviderPreset preset, SettingsSource source, IReadOnlyList<DetectionStep> steps)
    {
        var (settings, _) = SettingsMapper.Map(address, SettingsMapper.ToConfig(preset), source, preset.Note, preset.OAuth2Provider);
        return new MailSettingsDetection(DetectionStatus.Found, source.DisplayText, settings, steps);
    }
}
