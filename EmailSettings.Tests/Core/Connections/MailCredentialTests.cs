using EmailSettings.Core.Connections;

namespace EmailSettings.Tests.Core.Connections;

public sealed class MailCredentialTests
{
    [Theory]
    [InlineData("PLAIN LOGIN", "PLAIN")]
    [InlineData("LOGIN PLAIN SCRAM-SHA-1", "SCRAM-SHA-1")]
    [InlineData("PLAIN SCRAM-SHA-1 SCRAM-SHA-256 LOGIN", "SCRAM-SHA-256")]
    [InlineData("CRAM-MD5 PLAIN", "CRAM-MD5")]
    [InlineData("login", "LOGIN")]
    [InlineData("SCRAM-SHA-256-PLUS PLAIN", "PLAIN")]
    [InlineData("XOAUTH2 OAUTHBEARER GSSAPI PLAIN", "PLAIN")]
    public void A_password_signs_in_with_the_strongest_mechanism_both_sides_support(string offered, string expected)
    {
        var credential = new PasswordCredential("alice@example.com", "secret");

        var mechanism = credential.ChooseMechanism(offered.Split(' '));

        mechanism.Should().NotBeNull();
        mechanism!.MechanismName.Should().Be(expected);
        credential.CanUseAnyOf(offered.Split(' ')).Should().BeTrue();
    }

    [Theory]
    [InlineData("XOAUTH2 OAUTHBEARER")]
    [InlineData("GSSAPI")]
    [InlineData("")]
    public void Without_a_password_mechanism_on_offer_none_is_chosen(string offered)
    {
        var credential = new PasswordCredential("alice@example.com", "secret");
        var mechanisms = offered.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        credential.ChooseMechanism(mechanisms).Should().BeNull();
        credential.CanUseAnyOf(mechanisms).Should().BeFalse();
    }

    [Fact]
    public void A_credential_never_prints_its_secret()
    {
        var credential = new PasswordCredential("alice@example.com", "Secret-Pa55");

        credential.ToString().Should().NotContain("Secret-Pa55").And.Contain("alice@example.com");
        credential.Scrubber.Scrub("echo Secret-Pa55").Should().Be("echo ********");
    }
}
