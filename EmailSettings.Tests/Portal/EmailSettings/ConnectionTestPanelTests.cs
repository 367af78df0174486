using Bunit;
using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Portal.Components.Pages.EmailSettings;
using EmailSettings.Tests.Support;

namespace EmailSettings.Tests.Portal.EmailSettings;

public sealed class ConnectionTestPanelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static readonly CertificateInfo SelfSigned = new(
        "CN=mail.internal", "CN=mail.internal",
        new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");

    [Fact]
    public async Task While_testing_it_shows_progress_and_Cancel_and_then_the_result()
    {
        await using var ctx = NewContext();
        var pending = new TaskCompletionSource<ConnectionTestResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => pending.Task));

        cut.Find("[data-testid=test-connection]").Click();

        cut.WaitForAssertion(() =>
        {
            cut.FindAll("[data-testid=test-progress]").Should().ContainSingle();
            cut.Find("[data-testid=cancel-test]").TextContent.Should().Contain("Cancel");
            cut.Find("[data-testid=test-connection]").HasAttribute("disabled").Should().BeTrue();
        }, Wait);
        cut.FindAll("[data-testid=test-result]").Should().BeEmpty();

        pending.SetResult(Success());

        cut.WaitForAssertion(() =>
        {
            cut.FindAll("[data-testid=test-progress]").Should().BeEmpty();
            cut.FindAll("[data-testid=cancel-test]").Should().BeEmpty();
            cut.Find("[data-testid=test-result]").ClassList.Should().Contain("mud-alert-text-success");
        }, Wait);
        cut.Find("[data-testid=test-connection]").HasAttribute("disabled").Should().BeFalse();
    }

    [Fact]
    public async Task Success_shows_host_TLS_mode_and_protocol_user_and_elapsed_time()
    {
        await using var ctx = NewContext();
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => Task.FromResult(Success())));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        var facts = cut.WaitForElement("[data-testid=test-facts]", Wait).TextContent;
        facts.Should().Contain("smtp.example.com:587")
            .And.Contain("STARTTLS (TLS 1.3)")
            .And.Contain("alice@example.com")
            .And.Contain("0.4 s");
        cut.Find("[data-testid=test-summary]").TextContent.Should().Contain("signed in as");
        cut.FindAll("[data-testid=test-detail]").Should().BeEmpty("a success has no raw error");
    }

    [Fact]
    public async Task IMAP_success_shows_the_message_count_and_sync_capabilities()
    {
        await using var ctx = NewContext();
        var imap = Success() with
        {
            Protocol = "IMAP",
            MessageCount = 12,
            Capabilities = [ImapConnectionTester.CondStore, ImapConnectionTester.Idle],
        };
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => Task.FromResult(imap)));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        var facts = cut.WaitForElement("[data-testid=test-facts]", Wait).TextContent;
        facts.Should().Contain("12 messages").And.Contain("CONDSTORE yes").And.Contain("QRESYNC no").And.Contain("IDLE yes");
    }

    [Theory]
    [InlineData(ConnectionFailureKind.AuthenticationFailed, nameof(MailServerInput.SmtpPassword), "SMTP Password")]
    [InlineData(ConnectionFailureKind.HostNotFound, nameof(MailServerInput.SmtpHost), "SMTP Host")]
    [InlineData(ConnectionFailureKind.ConnectionRefused, nameof(MailServerInput.SmtpPort), "SMTP Port")]
    [InlineData(ConnectionFailureKind.StartTlsNotOffered, nameof(MailServerInput.UseTls), "Use TLS/STARTTLS")]
    [InlineData(ConnectionFailureKind.AuthenticationFailed, nameof(EmailAccountInput.ImapPassword), "IMAP Password")]
    [InlineData(ConnectionFailureKind.PortTlsMismatch, nameof(EmailAccountInput.ImapUseTls), "Use TLS/SSL")]
    public async Task A_failure_names_the_field_to_check_and_the_hint_with_the_raw_detail_collapsed(
        ConnectionFailureKind kind, string field, string label)
    {
        await using var ctx = NewContext();
        var failure = Failure(kind, field, "Check this and that.") with { Detail = "MailKit.Security.AuthenticationException: 535 rejected" };
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => Task.FromResult(failure)));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        cut.WaitForElement("[data-testid=test-result]", Wait).ClassList.Should().Contain("mud-alert-text-error");
        cut.Find("[data-testid=test-summary]").TextContent.Should().Contain("It failed.");
        cut.Find("[data-testid=test-field]").TextContent.Should().Be($"Check {label}");
        cut.Find("[data-testid=test-hint]").TextContent.Should().Be("Check this and that.");
        cut.Find("[data-testid=test-detail]").TextContent.Should().Contain("Technical details");
        // Collapsed until asked for: MudBlazor keeps the content in an invisible collapse container.
        cut.Find("[data-testid=test-detail]").ClassList.Should().NotContain("mud-panel-expanded");
        cut.Find("[data-testid=test-detail] .mud-collapse-container").ClassList.Should().Contain("invisible");

        await cut.Find("[data-testid=test-detail] .mud-expand-panel-header").ClickAsync(new());

        cut.WaitForAssertion(() =>
        {
            cut.Find("[data-testid=test-detail]").ClassList.Should().Contain("mud-panel-expanded");
            cut.Find("[data-testid=test-detail] .mud-collapse-container").ClassList.Should().NotContain("invisible");
        }, Wait);
        cut.Find("[data-testid=test-detail-text]").TextContent.Should().Be("MailKit.Security.AuthenticationException: 535 rejected");
    }

    [Fact]
    public async Task An_untrusted_certificate_is_shown_and_Trust_passes_its_fingerprint_and_tests_again()
    {
        await using var ctx = NewContext();
        var untrusted = Failure(ConnectionFailureKind.CertificateNotTrusted, null, "Compare the fingerprint.") with { Certificate = SelfSigned };
        var runs = 0;
        string? trusted = null;
        var cut = ctx.Render<ConnectionTestPanel>(p => p
            .Add(x => x.RunTest, _ => Task.FromResult(++runs == 1 ? untrusted : Success() with { AcceptedByPin = true }))
            .Add(x => x.OnTrustCertificate, sha256 => trusted = sha256));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        var certificate = cut.WaitForElement("[data-testid=test-certificate]", Wait).TextContent;
        certificate.Should().Contain("CN=mail.internal")
            .And.Contain("2026-01-01 00:00 UTC to 2027-01-01 00:00 UTC")
            .And.Contain("01:23:45:67:89:AB:CD:EF:01:23");
        cut.Find("[data-testid=test-result]").ClassList.Should().Contain("mud-alert-text-warning");
        cut.FindAll("[data-testid=test-field]").Should().BeEmpty();

        await cut.Find("[data-testid=trust-certificate]").ClickAsync(new());

        trusted.Should().Be(SelfSigned.Sha256);
        cut.WaitForAssertion(() =>
        {
            runs.Should().Be(2);
            cut.Find("[data-testid=test-result]").TextContent.Should().Contain("accepted because you chose to trust it");
        }, Wait);
    }

    [Fact]
    public async Task A_changed_pinned_certificate_offers_to_trust_the_new_one()
    {
        await using var ctx = NewContext();
        var changed = Failure(ConnectionFailureKind.CertificateNotTrusted, null, "Renewed?") with { Certificate = SelfSigned, PinnedCertificateChanged = true };
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => Task.FromResult(changed)));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        cut.WaitForElement("[data-testid=trust-certificate]", Wait).TextContent.Should().Contain("Trust the new certificate");
    }

    [Fact]
    public async Task Cancel_cancels_the_token_given_to_the_test_and_says_so()
    {
        await using var ctx = NewContext();
        var token = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, async ct =>
        {
            token.SetResult(ct);
            await Task.Delay(Timeout.Infinite, ct);
            return Success();
        }));

        cut.Find("[data-testid=test-connection]").Click();
        var given = await token.Task.WaitAsync(Wait);
        cut.WaitForElement("[data-testid=cancel-test]", Wait).Click();

        given.IsCancellationRequested.Should().BeTrue();
        cut.WaitForAssertion(() =>
        {
            cut.Find("[data-testid=test-summary]").TextContent.Should().Be("The test was cancelled.");
            cut.Find("[data-testid=test-result]").ClassList.Should().Contain("mud-alert-text-info");
            cut.FindAll("[data-testid=test-progress]").Should().BeEmpty();
        }, Wait);
    }

    [Fact]
    public async Task Cancel_answers_at_once_even_when_the_test_ignores_the_token()
    {
        await using var ctx = NewContext();
        var neverEnds = new TaskCompletionSource<ConnectionTestResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, _ => neverEnds.Task));

        cut.Find("[data-testid=test-connection]").Click();
        cut.WaitForElement("[data-testid=cancel-test]", Wait).Click();

        cut.WaitForAssertion(() =>
            cut.Find("[data-testid=test-summary]").TextContent.Should().Be("The test was cancelled."), Wait);
        cut.Find("[data-testid=test-connection]").HasAttribute("disabled").Should().BeFalse();
    }

    [Fact]
    public async Task Closing_the_dialog_disposes_the_panel_and_cancels_the_running_test()
    {
        await using var ctx = NewContext();
        var token = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new TaskCompletionSource<ConnectionTestResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(x => x.RunTest, ct =>
        {
            token.SetResult(ct);
            return pending.Task;
        }));

        cut.Find("[data-testid=test-connection]").Click();
        var given = await token.Task.WaitAsync(Wait);
        given.IsCancellationRequested.Should().BeFalse();

        await ctx.DisposeComponentsAsync();

        given.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public async Task An_unexpected_error_is_shown_as_a_failure_instead_of_breaking_the_circuit()
    {
        await using var ctx = NewContext();
        var cut = ctx.Render<ConnectionTestPanel>(p => p.Add(
            x => x.RunTest, _ => Task.FromException<ConnectionTestResult>(new InvalidOperationException("db is gone"))));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        cut.WaitForAssertion(() =>
            cut.Find("[data-testid=test-summary]").TextContent.Should().Contain("could not be run"), Wait);
        cut.Markup.Should().NotContain("db is gone");
        cut.Find("[data-testid=test-connection]").HasAttribute("disabled").Should().BeFalse();
    }

    [Fact]
    public async Task The_button_text_and_disabled_state_come_from_the_dialog()
    {
        await using var ctx = NewContext();
        var runs = 0;
        var cut = ctx.Render<ConnectionTestPanel>(p => p
            .Add(x => x.RunTest, _ => Task.FromResult(Success() with { Summary = $"run {++runs}" }))
            .Add(x => x.ButtonText, "Test IMAP Connection")
            .Add(x => x.Disabled, true));

        var button = cut.Find("[data-testid=test-connection]");
        button.TextContent.Trim().Should().Be("Test IMAP Connection");
        button.HasAttribute("disabled").Should().BeTrue();
        runs.Should().Be(0);
    }

    [Fact]
    public async Task Completed_tests_are_reported_to_the_dialog()
    {
        await using var ctx = NewContext();
        ConnectionTestResult? reported = null;
        var failure = Failure(ConnectionFailureKind.AuthenticationFailed, nameof(MailServerInput.SmtpPassword), "hint");
        var cut = ctx.Render<ConnectionTestPanel>(p => p
            .Add(x => x.RunTest, _ => Task.FromResult(failure))
            .Add(x => x.OnCompleted, r => reported = r));

        await cut.Find("[data-testid=test-connection]").ClickAsync(new());

        cut.WaitForAssertion(() => reported.Should().BeSameAs(failure), Wait);
    }

    private static BunitCore NewContext() => BunitCore.WithoutCore();

    private static ConnectionTestResult Success() => new()
    {
        Succeeded = true,
        Protocol = "SMTP",
        Summary = "Connected to smtp.example.com:587 with STARTTLS (TLS 1.3) and signed in as \"alice@example.com\".",
        Host = "smtp.example.com",
        Port = 587,
        TlsMode = "STARTTLS",
        TlsProtocol = "TLS 1.3",
        AuthenticatedUser = "alice@example.com",
        Elapsed = TimeSpan.FromMilliseconds(412),
    };

    private static ConnectionTestResult Failure(ConnectionFailureKind kind, string? field, string hint) => new()
    {
        Succeeded = false,
        Failure = kind,
        Protocol = "SMTP",
        Summary = "It failed.",
        Field = field,
        Hint = hint,
        Host = "smtp.example.com",
        Port = 587,
        TlsMode = "STARTTLS",
        Elapsed = TimeSpan.FromSeconds(1),
    };
}
