using EmailSettings.Core.Messages;

namespace EmailSettings.Tests.Core.Messages;

public sealed class MessageSenderTests
{
    [Theory]
    [InlineData("\"Test Sender\" <sender@example.com>", "Test Sender", "sender@example.com")]
    [InlineData("Test Sender <sender@example.com>", "Test Sender", "sender@example.com")]
    [InlineData("sender@example.com", "sender@example.com", null)]
    [InlineData("<sender@example.com>", "sender@example.com", null)]
    [InlineData("=?utf-8?q?J=C3=BCrgen?= <j@example.com>", "Jürgen", "j@example.com")]
    [InlineData("\"A\" <a@example.com>, b@example.com, c@example.com", "A and 2 more", "a@example.com")]
    [InlineData("", "(unknown sender)", null)]
    [InlineData("not an address <<<", "not an address <<<", null)]
    public void The_stored_From_header_splits_into_the_name_to_show_and_the_address(string from, string name, string? address)
    {
        MessageSender.Parse(from).Should().Be(new MessageSender(name, address));
    }
}
