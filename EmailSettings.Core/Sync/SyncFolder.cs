namespace EmailSettings.Core.Sync;

/// <summary>
/// One IMAP folder an account syncs, with its own position: the folder's UIDVALIDITY, the last UID stored and the
/// HIGHESTMODSEQ the stored copy reflects. Every account has INBOX unless the admin chose other folders instead.
/// </summary>
public sealed class SyncFolder
{
    /// <summary>The one folder name IMAP defines (RFC 3501: case-insensitive), synced by default.</summary>
    public const string Inbox = "INBOX";

    public int Id { get; set; }
    public Guid TenantId { get; set; }
    public int EmailAccountId { get; set; }

    /// <summary>The folder's full name as the server lists it ("INBOX", "Sent", "Shared/support"), decoded.</summary>
    public string Name { get; set; } = "";

    /// <summary>UIDVALIDITY that <see cref="LastSyncedUid"/>, <see cref="HighestModSeq"/> and the stored UIDs refer to.</summary>
    public long? UidValidity { get; set; }
    public long LastSyncedUid { get; set; }
    public long? HighestModSeq { get; set; }

    public DateTime CreatedAt { get; set; }

    public static bool IsInbox(string name) => string.Equals(name, Inbox, StringComparison.OrdinalIgnoreCase);

    /// <summary>INBOX spelled as IMAP spells it, any other name as it is.</summary>
    public static string Normalize(string name) => IsInbox(name) ? Inbox : name;

    /// <summary>INBOX first, then by name: the order folders are synced and shown in.</summary>
    public static IOrderedEnumerable<T> InDisplayOrder<T>(IEnumerable<T> folders, Func<T, string> name) =>
        folders.OrderBy(f => IsInbox(name(f)) ? 0 : 1).ThenBy(name, StringComparer.OrdinalIgnoreCase);
}
