using System.Text;
using EmailSettings.Core.Connections;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Sending;
using EmailSettings.Tests.Core.Sending;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Tests.Core.Connections;

public sealed class SecretScrubberTests
{
    private const string Password = "Tr0ub4dor&3-xyz";
    private const string User = "alice@example.com";

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static readonly SecretScrubber Scrubber = new([Password]);

    [Fact]
    public void The_password_is_masked_wherever_it_appears()
    {
        Scrubber.Scrub($"535 bad credentials {Password} for {User}; again {Password}")
            .Should().Be($"535 bad credentials ******** for {User}; again ********");
    }

    [Theory]
    [InlineData("AUTH PLAIN")]
    [InlineData("AUTH LOGIN")]
    [InlineData("XOAUTH2")]
    public void Base64_forms_a_server_may_echo_are_masked(string form)
    {
        var encoded = form switch
        {
            "AUTH PLAIN" => Base64($"\0{User}\0{Password}"),
            "AUTH LOGIN" => Base64(Password),
            _ => Base64($"user={User}\u0001auth=Bearer {Password}\u0001\u0001"),
        };

        var scrubbed = Scrubber.Scrub($"535 5.7.8 Authentication failed for {encoded} (try again)");

        scrubbed.Should().Be("535 5.7.8 Authentication failed for ******** (try again)");
    }

    [Fact]
    public void Base64_without_padding_or_glued_to_other_characters_is_masked_too()
    {
        var encoded = Base64($"\0{User}\0{Password}").TrimEnd('=');

        Scrubber.Scrub($"reply:x{encoded}").Should().NotContain(encoded[4..]).And.Contain(SecretScrubber.Mask);
        Scrubber.Scrub(encoded).Should().Be(SecretScrubber.Mask);
    }

    [Fact]
    public void A_percent_encoded_password_is_masked()
    {
        Scrubber.Scrub($"grant_type=password&password={Uri.EscapeDataString(Password)}&x=1")
            .Should().Be("grant_type=password&password=********&x=1");
    }

    [Fact]
    public void Text_without_a_secret_is_left_as_it_is_even_when_it_holds_Base64()
    {
        var text = $"334 {Base64("Password:")} and 250 2.0.0 Ok: queued as {Base64("another user's secret")}";

        Scrubber.Scrub(text).Should().Be(text);
        SecretScrubber.None.Scrub(text).Should().Be(text);
        Scrubber.Scrub(null).Should().BeNull();
        new SecretScrubber([null, ""]).Scrub(Password).Should().Be(Password);
    }

    [Fact]
    public void Several_secrets_are_masked_and_the_longer_one_wins_where_one_contains_the_other()
    {
        var scrubber = new SecretScrubber(["abc123", "abc123-refresh-token"]);

        scrubber.Scrub("access abc123, refresh abc123-refresh-token, and " + Base64("token=abc123-refresh-token"))
            .Should().Be("access ********, refresh ********, and ********");
    }

    [Fact]
    public async Task A_server_echoing_the_sign_in_leaves_no_trace_of_the_password_in_the_test_the_email_log_or_the_logs()
    {
        await using var echoing = ScriptedSmtpListener.EchoingAuth();
        await using var host = await CoreTestHost.CreateAsync();
        var plainForm = Base64($"\0{User}\0{Password}");

        var test = await host.GetForA<SmtpConnectionTester>().TestAsync(new MailServerInput
        {
            Name = "Echo", SmtpHost = echoing.Host, SmtpPort = echoing.Port, UseTls = false, SmtpUsername = User, SmtpPassword = Password,
        }, null, default);
        var server = await host.AddServerAsync(host.TenantA, echoing.Host, echoing.Port, useTls: false, User, Password);
        var account = await host.AddAccountAsync(host.TenantA, server, "support@acme.example", "Acme Support");
        var sent = await host.GetForA<IEmailSender>().SendAsync(new OutgoingEmail(["customer@example.org"], "Hi", TextBody: "Hello", AccountId: account));

        test.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed, test.Summary);
        test.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        sent.FailureKind.Should().Be(SendFailureKind.Authentication);
        test.Detail.Should().Contain("535: 5.7.8 Authentication failed for ********", "the server's reply stays readable");
        sent.ServerResponse.Should().Contain("Authentication failed for ********");
        echoing.AuthCommands.Should().Be(2, "one attempt per session");
        await using var db = await host.CreateDbContextAsync();
        var row = await db.EmailLog.SingleAsync();
        var everything = string.Join("\n",
            test.Summary, test.Hint, test.Detail, sent.ErrorMessage, sent.ServerResponse, row.Error, row.ServerResponse, host.Logs.AllText);
        everything.Should().NotContain(Password).And.NotContain(plainForm).And.NotContain(plainForm.TrimEnd('='));
    }
}
