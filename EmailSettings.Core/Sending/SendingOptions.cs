namespace EmailSettings.Core.Sending;

/// <summary>Settings for outbound sends, bound from the "Sending" configuration section.</summary>
public sealed class SendingOptions
{
    public const string SectionName = "Sending";

    /// <summary>
    /// The longest one send may take, from connecting to the server's answer to the message. Also MailKit's
    /// per-command timeout. Longer than Test Connection's because DATA with a large body can be slow.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
