using MimeKit;

namespace EmailSettings.Core.Messages;

/// <summary>A stored From header ("Name" &lt;address&gt;, as the sync keeps it) split for display.</summary>
/// <param name="Name">The sender's name, or the address when there is no name, or the raw header when it cannot be parsed.</param>
/// <param name="Address">The address when it is not already shown as <see cref="Name"/>; otherwise null.</param>
public sealed record MessageSender(string Name, string? Address)
{
    public static MessageSender Parse(string? from)
    {
        if (string.IsNullOrWhiteSpace(from))
        {
            return new("(unknown sender)", null);
        }
        if (!InternetAddressList.TryParse(from, out var list) || list.Mailboxes.FirstOrDefault() is not { } first)
        {
            return new(from.Trim(), null);
        }
        var others = list.Mailboxes.Count() - 1;
        var suffix = others > 0 ? $" and {others} more" : "";
        return string.IsNullOrWhiteSpace(first.Name)
            ? new(first.Address + suffix, null)
            : new(first.Name.Trim() + suffix, first.Address);
    }
}
