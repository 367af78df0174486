using System.Text.RegularExpressions;
using EmailSettings.Core.Common;
using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;

namespace EmailSettings.Tests.Core.Common;

/// <summary>The spec's field labels live once, in Core's <see cref="FieldLabels"/>; dialogs, tests results and messages read them.</summary>
public sealed class FieldLabelsTests
{
    /// <summary>The labels of the spec's two field tables, by the input property each dialog field binds to.</summary>
    public static TheoryData<string, string> SpecLabels => new()
    {
        { nameof(MailServerInput.Name), "Server Name" },
        { nameof(MailServerInput.SmtpHost), "SMTP Host" },
        { nameof(MailServerInput.SmtpPort), "SMTP Port" },
        { nameof(MailServerInput.SmtpUsername), "SMTP Username" },
        { nameof(MailServerInput.SmtpPassword), "SMTP Password" },
        { nameof(MailServerInput.UseTls), "Use TLS/STARTTLS" },
        { nameof(EmailAccountInput.EmailAddress), "Email Address" },
        { nameof(EmailAccountInput.DisplayName), "Display Name" },
        { nameof(EmailAccountInput.MailServerId), "Mail Server" },
        { nameof(EmailAccountInput.IsDefault), "Set as default account" },
        { nameof(EmailAccountInput.ImapHost), "IMAP Host" },
        { nameof(EmailAccountInput.ImapPort), "IMAP Port" },
        { nameof(EmailAccountInput.ImapUsername), "IMAP Username" },
        { nameof(EmailAccountInput.ImapPassword), "IMAP Password" },
        { nameof(EmailAccountInput.ImapUseTls), "Use TLS/SSL" },
    };

    [Theory]
    [MemberData(nameof(SpecLabels))]
    public void Every_dialog_field_has_the_label_the_spec_uses(string field, string label) =>
        FieldLabels.Of(field).Should().Be(label);

    [Fact]
    public void An_unknown_field_name_is_shown_as_it_is() =>
        FieldLabels.Of("SomethingElse").Should().Be("SomethingElse");

    [Fact]
    public void Connection_tests_name_each_field_they_point_at_with_its_dialog_label()
    {
        foreach (var protocol in new[] { ConnectionProtocol.Smtp, ConnectionProtocol.Imap })
        {
            FieldLabels.Of(protocol.HostField).Should().Be(protocol.HostLabel);
            FieldLabels.Of(protocol.PortField).Should().Be(protocol.PortLabel);
            FieldLabels.Of(protocol.UsernameField).Should().Be(protocol.UsernameLabel);
            FieldLabels.Of(protocol.PasswordField).Should().Be(protocol.PasswordLabel);
            FieldLabels.Of(protocol.TlsField).Should().Be(protocol.TlsLabel);
        }
    }

    [Fact]
    public void Validation_messages_name_the_field_by_its_label()
    {
        var server = new MailServerInput { Name = "", SmtpHost = "", SmtpPort = 0, SmtpPassword = "secret" }.Validate();
        server[nameof(MailServerInput.Name)].Should().Be("Server Name is required.");
        server[nameof(MailServerInput.SmtpHost)].Should().Be("SMTP Host is required.");
        server[nameof(MailServerInput.SmtpPort)].Should().Be("SMTP Port must be a number between 1 and 65535.");
        server[nameof(MailServerInput.SmtpUsername)].Should().Be("Enter the SMTP Username that goes with this password.");

        var account = new EmailAccountInput { EmailAddress = "", DisplayName = "", ImapPort = 0, ImapPassword = "secret" }.Validate(isCreate: true);
        account[nameof(EmailAccountInput.EmailAddress)].Should().Be("Email Address is required.");
        account[nameof(EmailAccountInput.DisplayName)].Should().Be("Display Name is required.");
        account[nameof(EmailAccountInput.ImapPort)].Should().Be("IMAP Port must be a number between 1 and 65535.");
        account[nameof(EmailAccountInput.ImapHost)].Should().Be("IMAP Host is required.");
        account[nameof(EmailAccountInput.ImapUsername)].Should().Be("IMAP Username is required to sync incoming email.");
    }

    /// <summary>
    /// A label typed again in the Portal would drift from Core's on the next rename: the Portal's Razor and C# files quote
    /// none of them (they write <c>Label="@FieldLabels.SmtpHost"</c>).
    /// </summary>
    [Fact]
    public void The_Portal_quotes_no_label_of_its_own()
    {
        var portal = Path.Combine(SolutionFolder(), "EmailSettings.Portal");
        var labels = SpecLabels.Select(row => (string)row[1]).ToList();
        var files = Directory.EnumerateFiles(portal, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        files.Should().Contain(f => f.EndsWith("MailServerDialog.razor", StringComparison.Ordinal), "the scan must see the dialogs");

        var quoted = files
            .SelectMany(f => labels.Where(l => Regex.IsMatch(File.ReadAllText(f), $"\"{Regex.Escape(l)}\""))
                .Select(l => $"{Path.GetFileName(f)}: \"{l}\""))
            .ToList();

        quoted.Should().BeEmpty("the Portal reads the labels from FieldLabels");
    }

    private static string SolutionFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EmailSettings.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No EmailSettings.sln above {AppContext.BaseDirectory}.");
    }
}
