using EmailSettings.Benchmarks.Harness;
using EmailSettings.Benchmarks.Hosting;
using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EmailSettings.Benchmarks.Scenarios;

public static class TimeoutScenario
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Issue 9.4: Test Connection (SMTP and IMAP) against a listener that accepts and never says a word, with a
    /// 3 s limit. Target: the result (a timeout) arrives within 1 s of the limit.
    /// </summary>
    public static async Task RunAsync(Report report)
    {
        await using var host = await CoreTestHost.CreateAsync(b => b.Configuration["ConnectionTests:Timeout"] = Limit.ToString(), captureLogs: false);
        await using var silent = new SilentListener();
        await using var scope = host.CreateScope(host.TenantA);
        var smtp = scope.ServiceProvider.GetRequiredService<SmtpConnectionTester>();
        var imap = scope.ServiceProvider.GetRequiredService<ImapConnectionTester>();

        var smtpInput = new MailServerInput { Name = "Silent", SmtpHost = silent.Host, SmtpPort = silent.Port, UseTls = true, SmtpUsername = "u", SmtpPassword = "p" };
        var imapInput = new EmailAccountInput
        {
            EmailAddress = "silent@example.com", DisplayName = "Silent", MailServerId = 1,
            ImapHost = silent.Host, ImapPort = silent.Port, ImapUsername = "u", ImapPassword = "p", ImapUseTls = true,
        };

        Console.WriteLine("timeout");
        foreach (var (name, test) in new (string, Func<Task<ConnectionTestResult>>)[]
                 {
                     ("SMTP", () => smtp.TestAsync(smtpInput, null, CancellationToken.None)),
                     ("IMAP", () => imap.TestAsync(imapInput, null, CancellationToken.None)),
                 })
        {
            var samples = new Samples();
            ConnectionTestResult? last = null;
            for (var i = 0; i < 3; i++)
            {
                samples.Add(await SideBySide.TimeAsync(async () => last = await test()));
                if (last!.Succeeded || last.Failure != ConnectionFailureKind.TimedOut)
                {
                    throw new InvalidOperationException($"{name} test against a silent listener: {last.Failure} {last.Summary}");
                }
            }
            var worst = Math.Max(Math.Abs(samples.Max - Limit.TotalMilliseconds), Math.Abs(samples.Min - Limit.TotalMilliseconds));
            report.Add(new ResultRow(
                "4. Test Connection timeout", $"{name}, silent listener",
                $"{Report.Ms(samples.Median)} (min {Report.Ms(samples.Min)}, max {Report.Ms(samples.Max)})",
                $"{Report.Ms(Limit.TotalMilliseconds)} limit",
                $"{Report.X(samples.Median / Limit.TotalMilliseconds)}",
                "within 1 s of the limit", worst <= 1000,
                $"n={samples.Count}, worst deviation {Report.Ms(worst)}"));
        }
    }
}
