using EmailSettings.Core.Connections;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static EmailSettings.Tests.Core.Connections.SmtpConnectionFixture;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>Test Connection for SMTP against a real in-process SMTP server; no case may ever send a message.</summary>
[Trait("Category", "Integration")]
public sealed class SmtpConnectionTesterTests : IClassFixture<SmtpConnectionFixture>
{
    private readonly SmtpConnectionFixture fx;

    public SmtpConnectionTesterTests(SmtpConnectionFixture fx)
    {
        this.fx = fx;
        // Tests of one class run one after another, so the server's records belong to the running test.
        fx.Smtp.ClearRecords();
    }

    private SmtpTestServer Smtp => fx.Smtp;

    [Fact]
    public async Task Succeeds_over_STARTTLS_and_signs_in_without_sending_anything()
    {
        var result = await Test(Input(Smtp.StartTlsPort));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.Failure.Should().Be(ConnectionFailureKind.None);
        result.TlsMode.Should().Be("STARTTLS");
        result.TlsProtocol.Should().StartWith("TLS 1.");
        result.AuthenticatedUser.Should().Be(User);
        result.Host.Should().Be(Smtp.Host);
        result.Port.Should().Be(Smtp.StartTlsPort);
        result.AcceptedByPin.Should().BeTrue("the self-signed test certificate is trusted only through the pin");
        result.Capabilities.Should().Contain(c => c.StartsWith("AUTH ") && c.Contains("PLAIN"));
        result.Elapsed.Should().BePositive();
        result.Summary.Should().Contain("STARTTLS").And.Contain(User);
        Smtp.AuthenticationAttempts.Should().ContainSingle()
            .Which.Should().Match<SmtpAuthenticationAttempt>(a => a.User == User && a.Succeeded && a.Secure);
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task Succeeds_with_TLS_on_connect_on_port_465()
    {
        var result = await Test(Input(fx.Tls465.Port, host: fx.Tls465.Host));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.TlsMode.Should().Be("TLS on connect");
        result.TlsProtocol.Should().StartWith("TLS 1.");
        result.AuthenticatedUser.Should().Be(User);
        Smtp.AuthenticationAttempts.Should().ContainSingle(a => a.Succeeded && a.Secure && a.Port == Smtp.TlsPort);
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task Succeeds_over_plain_SMTP_and_warns_that_nothing_is_encrypted()
    {
        var result = await Test(Input(Smtp.PlainPort, useTls: false));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.TlsMode.Should().Be("no encryption");
        result.TlsProtocol.Should().BeNull();
        result.AuthenticatedUser.Should().Be(User);
        result.Hint.Should().Contain("not encrypted");
        Smtp.AuthenticationAttempts.Should().ContainSingle(a => a.Succeeded && !a.Secure);
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task Without_a_username_it_connects_and_does_not_sign_in()
    {
        var result = await Test(Input(Smtp.StartTlsPort, user: null, password: null));

        result.Succeeded.Should().BeTrue(result.Summary);
        result.AuthenticatedUser.Should().BeNull();
        result.Summary.Should().Contain("No sign-in");
        Smtp.AuthenticationAttempts.Should().BeEmpty();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_wrong_password_is_reported_as_authentication_failed_on_the_password_field()
    {
        var result = await Test(Input(Smtp.StartTlsPort, password: "Wrong-Pa55word!"));

        result.Succeeded.Should().BeFalse();
        result.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPassword));
        result.Hint.Should().Contain("SMTP Username").And.Contain("SMTP Password");
        Smtp.AuthenticationAttempts.Should().ContainSingle(a => a.User == User && !a.Succeeded);
        AssertNothingSentOrLeaked(result, "Wrong-Pa55word!");
    }

    [Fact]
    public async Task An_unknown_user_is_reported_as_authentication_failed()
    {
        var result = await Test(Input(Smtp.StartTlsPort, user: "nobody@example.com"));

        result.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        result.Summary.Should().Contain("nobody@example.com");
        Smtp.AuthenticationAttempts.Should().ContainSingle(a => a.User == "nobody@example.com" && !a.Succeeded);
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_connection_refused_on_the_port_field()
    {
        var result = await Test(Input(FreePort.Next()));

        result.Failure.Should().Be(ConnectionFailureKind.ConnectionRefused);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPort));
        result.Hint.Should().Contain("587").And.Contain("465");
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_listener_that_never_greets_times_out()
    {
        // How close to the limit the result arrives is measured by the benchmarks (scenario 4, docs/benchmarks.md).
        await using var silent = new SilentListener();

        var result = await Test(Input(silent.Port, host: silent.Host), fx.ShortLimitHost);

        result.Failure.Should().Be(ConnectionFailureKind.TimedOut);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPort));
        result.Summary.Should().Contain("did not greet");
        silent.AcceptedCount.Should().BeGreaterThan(0);
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_listener_that_speaks_HTTP_is_reported_as_not_an_SMTP_server()
    {
        await using var http = new HttpLikeListener();

        var result = await Test(Input(http.Port, host: http.Host));

        result.Failure.Should().Be(ConnectionFailureKind.NotAMailServer);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPort));
        result.Summary.Should().Contain("not as an SMTP server").And.Contain("HTTP/1.1 400 Bad Request");
        result.Detail.Should().NotBeNullOrWhiteSpace();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task An_unresolvable_host_is_reported_as_host_not_found_on_the_host_field()
    {
        var result = await Test(Input(587, host: "no-such-host.invalid"));

        result.Failure.Should().Be(ConnectionFailureKind.HostNotFound);
        result.Field.Should().Be(nameof(MailServerInput.SmtpHost));
        result.Summary.Should().Contain("no-such-host.invalid").And.Contain("DNS");
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task Port_465_on_a_server_that_greets_in_plain_text_is_a_port_TLS_mismatch()
    {
        var result = await Test(Input(fx.StartTls465.Port, host: fx.StartTls465.Host));

        result.Failure.Should().Be(ConnectionFailureKind.PortTlsMismatch);
        result.TlsMode.Should().Be("TLS on connect");
        result.Field.Should().Be(nameof(MailServerInput.SmtpPort));
        result.Summary.Should().Contain("plain text").And.Contain("STARTTLS");
        result.Hint.Should().Contain("587");
        Smtp.AuthenticationAttempts.Should().BeEmpty();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task TLS_off_on_port_465_of_a_TLS_on_connect_server_asks_to_turn_on_TLS()
    {
        var result = await Test(Input(fx.Tls465.Port, host: fx.Tls465.Host, useTls: false), fx.MismatchLimitHost);

        result.Failure.Should().Be(ConnectionFailureKind.PortTlsMismatch);
        result.Field.Should().Be(nameof(MailServerInput.UseTls));
        result.Hint.Should().Contain("Turn on Use TLS/STARTTLS");
        Smtp.AuthenticationAttempts.Should().BeEmpty();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task STARTTLS_against_a_TLS_on_connect_port_other_than_465_points_at_the_port()
    {
        var result = await Test(Input(Smtp.TlsPort), fx.MismatchLimitHost);

        result.Failure.Should().Be(ConnectionFailureKind.PortTlsMismatch);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPort));
        result.Summary.Should().Contain("expects TLS on connect").And.Contain("STARTTLS");
        result.Hint.Should().Contain("465");
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_server_without_STARTTLS_is_reported_when_TLS_is_on()
    {
        var result = await Test(Input(Smtp.PlainPort));

        result.Failure.Should().Be(ConnectionFailureKind.StartTlsNotOffered);
        result.Field.Should().Be(nameof(MailServerInput.UseTls));
        Smtp.AuthenticationAttempts.Should().BeEmpty("the password must not travel unencrypted when TLS was asked for");
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task Sign_in_offered_only_after_STARTTLS_asks_to_turn_on_TLS()
    {
        var result = await Test(Input(Smtp.StartTlsPort, useTls: false));

        result.Failure.Should().Be(ConnectionFailureKind.AuthenticationMechanismNotSupported);
        result.Field.Should().Be(nameof(MailServerInput.UseTls));
        result.Hint.Should().Be("Turn on Use TLS/STARTTLS.");
        Smtp.AuthenticationAttempts.Should().BeEmpty();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task An_untrusted_certificate_can_be_pinned_and_a_different_certificate_is_then_refused()
    {
        var untrusted = await Test(Input(Smtp.StartTlsPort, pinned: false));

        untrusted.Failure.Should().Be(ConnectionFailureKind.CertificateNotTrusted);
        untrusted.PinnedCertificateChanged.Should().BeFalse();
        var certificate = untrusted.Certificate!;
        certificate.Sha256.Should().Be(Smtp.CertificateSha256);
        certificate.Subject.Should().Be("CN=localhost");
        certificate.Issuer.Should().Be("CN=localhost");
        certificate.NotBefore.Should().BeBefore(DateTime.UtcNow);
        certificate.NotAfter.Should().BeAfter(DateTime.UtcNow);
        untrusted.Hint.Should().Contain("Trust this certificate");
        Smtp.AuthenticationAttempts.Should().BeEmpty("nothing is sent over a connection whose certificate was refused");

        var pinned = await Test(Input(Smtp.StartTlsPort, pin: certificate.Sha256));
        pinned.Succeeded.Should().BeTrue(pinned.Summary);
        pinned.AcceptedByPin.Should().BeTrue();

        using var otherCertificate = TestCertificates.CreateSelfSigned();
        await using var impostor = await SmtpTestServer.StartAsync(otherCertificate);
        impostor.AddUser(User, Password);
        var changed = await Test(Input(impostor.StartTlsPort, pin: certificate.Sha256));

        changed.Failure.Should().Be(ConnectionFailureKind.CertificateNotTrusted);
        changed.PinnedCertificateChanged.Should().BeTrue();
        changed.Certificate!.Sha256.Should().Be(impostor.CertificateSha256).And.NotBe(certificate.Sha256);
        changed.Summary.Should().Contain("changed since you trusted it");
        impostor.AuthenticationAttempts.Should().BeEmpty();
        impostor.MailFromCount.Should().Be(0);
        impostor.ReceivedMessages.Should().BeEmpty();
        AssertNothingSentOrLeaked(changed);
    }

    [Fact]
    public async Task Cancelling_reports_cancelled_rather_than_timed_out()
    {
        // The tester's clock stands still, so its time limit can never end the test: only the cancellation can.
        await using var frozen = await CoreTestHost.CreateAsync(b => b.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow)));
        await using var silent = new SilentListener();
        using var cancel = new CancellationTokenSource();
        var test = Tester(frozen).TestAsync(Input(silent.Port, host: silent.Host), null, cancel.Token);
        await Eventually.HoldsAsync(() => silent.AcceptedCount > 0, "the tester has connected");

        await cancel.CancelAsync();
        var result = await test;

        result.Failure.Should().Be(ConnectionFailureKind.Cancelled);
        result.Summary.Should().Be("The test was cancelled.");
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task On_edit_a_blank_password_uses_the_stored_one_of_the_callers_own_server_only()
    {
        var servers = fx.Host.Get<MailServerService>(fx.Host.TenantA);
        var created = await servers.CreateAsync(Input(Smtp.StartTlsPort));
        var id = created.Value!.Id;
        var edit = (await servers.GetForEditAsync(id))!;
        edit.SmtpPassword.Should().BeNull();

        var result = await Tester(fx.Host).TestAsync(edit, id, CancellationToken.None);

        result.Succeeded.Should().BeTrue(result.Summary);
        result.AuthenticatedUser.Should().Be(User);
        Smtp.AuthenticationAttempts.Should().ContainSingle(a => a.User == User && a.Succeeded);

        var fromTenantB = await fx.Host.Get<SmtpConnectionTester>(fx.Host.TenantB).TestAsync(edit, id, CancellationToken.None);

        fromTenantB.Failure.Should().Be(ConnectionFailureKind.NotFound);
        fromTenantB.Summary.Should().Be(MailServerService.NotFoundMessage);
        Smtp.AuthenticationAttempts.Should().ContainSingle("tenant B's test must not sign in with tenant A's password");
        AssertNothingSentOrLeaked(result);
        AssertNothingSentOrLeaked(fromTenantB);
    }

    [Fact]
    public async Task On_edit_a_changed_username_is_not_tried_with_the_stored_password()
    {
        var servers = fx.Host.Get<MailServerService>(fx.Host.TenantA);
        var id = (await servers.CreateAsync(Input(Smtp.StartTlsPort))).Value!.Id;
        var edit = (await servers.GetForEditAsync(id))!;
        edit.SmtpUsername = "mallory@example.com";

        var result = await Tester(fx.Host).TestAsync(edit, id, CancellationToken.None);

        result.Failure.Should().Be(ConnectionFailureKind.PasswordRequired);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPassword));
        result.Summary.Should().Contain("mallory@example.com");
        Smtp.AuthenticationAttempts.Should().BeEmpty();
        AssertNothingSentOrLeaked(result);
    }

    [Fact]
    public async Task A_username_without_any_password_asks_for_the_password_before_connecting()
    {
        await using var silent = new SilentListener();

        var result = await Test(Input(silent.Port, host: silent.Host, password: null));

        result.Failure.Should().Be(ConnectionFailureKind.PasswordRequired);
        result.Field.Should().Be(nameof(MailServerInput.SmtpPassword));
        silent.AcceptedCount.Should().Be(0);
    }

    [Theory]
    [InlineData("smtp://mail.example.com", 587, nameof(MailServerInput.SmtpHost))]
    [InlineData("mail.example.com:587", 587, nameof(MailServerInput.SmtpHost))]
    [InlineData("127.0.0.1", 0, nameof(MailServerInput.SmtpPort))]
    [InlineData("127.0.0.1", 70000, nameof(MailServerInput.SmtpPort))]
    public async Task Invalid_host_or_port_is_a_field_error_without_connecting(string host, int port, string field)
    {
        var result = await Test(Input(port, host: host));

        result.Failure.Should().Be(ConnectionFailureKind.InvalidInput);
        result.Field.Should().Be(field);
        result.Host.Should().BeNull("nothing was contacted");
    }

    [Fact]
    public async Task Only_tenant_admins_can_test()
    {
        var tester = fx.Host.Get<SmtpConnectionTester>(fx.Host.TenantA, isAdmin: false);

        var act = () => tester.TestAsync(Input(Smtp.StartTlsPort), null, CancellationToken.None);

        await act.Should().ThrowAsync<TenantAccessDeniedException>();
        Smtp.AuthenticationAttempts.Should().BeEmpty();
    }

    [Fact]
    public void The_time_limit_defaults_to_15_seconds_and_is_read_from_configuration()
    {
        Options(fx.Host).Timeout.Should().Be(TimeSpan.FromSeconds(15));
        Options(fx.ShortLimitHost).Timeout.Should().Be(ShortLimit);

        static ConnectionTestOptions Options(CoreTestHost host) =>
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConnectionTestOptions>>().Value;
    }

    private Task<ConnectionTestResult> Test(MailServerInput input, CoreTestHost? host = null) =>
        Tester(host ?? fx.Host).TestAsync(input, null, CancellationToken.None);

    private SmtpConnectionTester Tester(CoreTestHost host) => host.Get<SmtpConnectionTester>(host.TenantA);

    private MailServerInput Input(
        int port, string? host = null, bool useTls = true, string? user = User, string? password = Password,
        bool pinned = true, string? pin = null) => new()
    {
        Name = "Test server",
        SmtpHost = host ?? Smtp.Host,
        SmtpPort = port,
        UseTls = useTls,
        SmtpUsername = user,
        SmtpPassword = password,
        PinnedCertificateSha256 = pin ?? (pinned ? Smtp.CertificateSha256 : null),
    };

    /// <summary>Every case: no mail transaction reached the server, and the password is nowhere in logs or the result.</summary>
    private void AssertNothingSentOrLeaked(ConnectionTestResult result, string password = Password)
    {
        Smtp.MailFromCount.Should().Be(0, "a connection test never starts a mail transaction");
        Smtp.ReceivedMessages.Should().BeEmpty();
        foreach (var host in new[] { fx.Host, fx.ShortLimitHost })
        {
            host.Logs.AllText.Should().NotContain(password);
        }
        string.Join("\n", result.Summary, result.Hint, result.Detail, string.Join(" ", result.Capabilities))
            .Should().NotContain(password);
    }
}
