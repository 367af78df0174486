using MailKit;

namespace EmailSettings.Core.Connections;

/// <summary>What "List folders" found: the server's folders, or why it could not list them.</summary>
/// <param name="Failure">Set when the listing failed: the result Test IMAP Connection would show for the same values.</param>
public sealed record ImapFolderListing(IReadOnlyList<ImapFolderInfo> Folders, ConnectionTestResult? Failure)
{
    public bool Succeeded => Failure is null;

    /// <summary>True when the server has more folders than <see cref="ImapConnectionTester.MaxListedFolders"/>.</summary>
    public bool Truncated { get; init; }

    internal static ImapFolderListing Failed(ConnectionTestResult failure) => new([], failure);
}

/// <summary>One folder as the server lists it.</summary>
/// <param name="FullName">The name the sync opens it by ("INBOX", "Sent", "Shared/support"), decoded.</param>
/// <param name="SpecialUse">What the server says the folder is for (RFC 6154: Sent, Drafts, Trash, Junk, Archive...), or null.</param>
/// <param name="CanSync">False for a folder that only holds other folders (\Noselect) or does not exist (\NonExistent).</param>
public sealed record ImapFolderInfo(string FullName, string? SpecialUse, bool CanSync)
{
    private static readonly (FolderAttributes Attribute, string Name)[] SpecialUses =
    [
        (FolderAttributes.Sent, "Sent"), (FolderAttributes.Drafts, "Drafts"), (FolderAttributes.Archive, "Archive"),
        (FolderAttributes.Junk, "Junk"), (FolderAttributes.Trash, "Trash"), (FolderAttributes.All, "All mail"),
        (FolderAttributes.Flagged, "Flagged"), (FolderAttributes.Important, "Important"),
    ];

    internal static ImapFolderInfo From(IMailFolder folder) => new(
        folder.FullName,
        SpecialUses.Where(s => folder.Attributes.HasFlag(s.Attribute)).Select(s => s.Name).FirstOrDefault(),
        !folder.Attributes.HasFlag(FolderAttributes.NoSelect) && !folder.Attributes.HasFlag(FolderAttributes.NonExistent));

    /// <summary>INBOX first, then by name.</summary>
    internal static IEnumerable<ImapFolderInfo> InDisplayOrder(IEnumerable<ImapFolderInfo> folders) =>
        Sync.SyncFolder.InDisplayOrder(folders, f => f.FullName);
}
