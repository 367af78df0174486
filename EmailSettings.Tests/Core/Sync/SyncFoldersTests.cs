using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;
using MimeKit;

namespace EmailSettings.Tests.Core.Sync;

/// <summary>An account syncs INBOX and the folders the admin adds, each with its own position, against a real Dovecot.</summary>
[Trait("Category", "Integration")]
public class SyncFoldersTests(SharedDovecot dovecot) : IClassFixture<SharedDovecot>
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    [Fact]
    public async Task Two_folders_are_synced_independently_each_with_its_own_position()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server, batchSize: 3);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 5);
        await AppendToFolderAsync(user, "Sent", 101, 4);
        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Sent");

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(9));

        var inbox = await bed.FolderAsync(id);
        var sent = await bed.FolderAsync(id, "Sent");
        var messages = await bed.MessagesAsync(id);
        messages.Where(m => m.SyncFolderId == inbox.Id).Select(m => m.Subject).Should().BeEquivalentTo(Subjects(1, 5));
        messages.Where(m => m.SyncFolderId == sent.Id).Select(m => m.Subject).Should().BeEquivalentTo(Subjects(101, 4));
        inbox.LastSyncedUid.Should().Be(5);
        sent.LastSyncedUid.Should().Be(4, "each folder numbers its own messages");
        sent.UidValidity.Should().NotBeNull();
        sent.HighestModSeq.Should().BeGreaterThan(0);

        // New mail in Sent only: INBOX is recognised as unchanged, Sent adds its message, and a message expunged in
        // INBOX is removed from INBOX only, although Sent has a message with the same UID.
        await AppendToFolderAsync(user, "Sent", 105, 1);
        using (var other = await SyncMirrorTests.OtherClientAsync(dovecot.Server, user))
        {
            await other.Inbox.AddFlagsAsync(new UniqueId(2), MessageFlags.Deleted, silent: true);
            await other.Inbox.ExpungeAsync();
            await other.DisconnectAsync(true);
        }
        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(1) with { Removed = 1 });
        messages = await bed.MessagesAsync(id);
        messages.Where(m => m.SyncFolderId == inbox.Id).Select(m => m.Uid).Should().BeEquivalentTo(new long[] { 1, 3, 4, 5 });
        messages.Where(m => m.SyncFolderId == sent.Id).Select(m => m.Uid).Should().BeEquivalentTo(new long[] { 1, 2, 3, 4, 5 });
        (await bed.FolderAsync(id, "Sent")).LastSyncedUid.Should().Be(5);
        (await bed.FolderAsync(id)).LastSyncedUid.Should().Be(5);

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(0));
        bed.Host.Logs.AllText.Should().Contain("INBOX unchanged").And.Contain("Sent unchanged");
    }

    [Fact]
    public async Task A_UIDVALIDITY_reset_of_one_folder_re_syncs_only_that_folder()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 4);
        await AppendToFolderAsync(user, "Archive", 201, 6);
        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Archive");
        await bed.SyncAsync(id);
        var inboxBefore = await bed.FolderAsync(id);
        var archiveBefore = await bed.FolderAsync(id, "Archive");
        var rowsBefore = await bed.MessagesAsync(id);

        dovecot.Server.ResetUidValidity(user, "Archive");
        var outcome = await bed.SyncAsync(id);

        outcome.Succeeded.Should().BeTrue(outcome.Error);
        var inboxAfter = await bed.FolderAsync(id);
        var archiveAfter = await bed.FolderAsync(id, "Archive");
        archiveAfter.UidValidity.Should().NotBe(archiveBefore.UidValidity);
        inboxAfter.Should().BeEquivalentTo(inboxBefore, "INBOX's position is untouched");
        var rowsAfter = await bed.MessagesAsync(id);
        rowsAfter.Where(m => m.SyncFolderId == inboxBefore.Id)
            .Should().BeEquivalentTo(rowsBefore.Where(m => m.SyncFolderId == inboxBefore.Id), "INBOX's rows are the same rows");
        var archive = rowsAfter.Where(m => m.SyncFolderId == archiveBefore.Id).ToList();
        archive.Should().HaveCount(6).And.OnlyContain(m => m.UidValidity == archiveAfter.UidValidity);
        archive.Select(m => m.Subject).Should().BeEquivalentTo(Subjects(201, 6));
    }

    [Fact]
    public async Task A_folder_gone_from_the_server_fails_the_sync_by_name_while_the_others_still_sync()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 3);
        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Renamed long ago");

        var outcome = await bed.SyncAsync(id);

        outcome.Status.Should().Be(SyncOutcomeStatus.Failed);
        outcome.Error.Should().Be("The folder \"Renamed long ago\" was not found on the server; the other folders were synced. Edit the account and choose its folders again (List folders).");
        (await bed.MessagesAsync(id)).Should().HaveCount(3);
        var account = (await bed.AccountAsync(id))!;
        account.LastSyncError.Should().Be(outcome.Error);
        account.ConsecutiveSyncFailures.Should().Be(1);
        bed.Host.Logs.AllText.Should().NotContain("failed unexpectedly");
    }

    [Fact]
    public async Task Removing_a_folder_from_the_account_removes_its_messages_and_keeps_the_others_and_their_positions()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 2);
        await AppendToFolderAsync(user, "Sent", 301, 3);
        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Sent");
        await bed.SyncAsync(id);
        var inbox = await bed.FolderAsync(id);

        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox);

        var messages = await bed.MessagesAsync(id);
        messages.Should().HaveCount(2).And.OnlyContain(m => m.SyncFolderId == inbox.Id);
        (await bed.FolderAsync(id)).Should().BeEquivalentTo(inbox);
        var input = await bed.Host.Get<EmailAccountService>(bed.Host.TenantA).GetForEditAsync(id);
        input!.Folders.Should().Equal(SyncFolder.Inbox);
    }

    [Fact]
    public async Task Changing_the_mailbox_starts_every_folder_afresh()
    {
        await using var bed = await SyncTestBed.CreateAsync(Provider, dovecot.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 2);
        await AppendToFolderAsync(user, "Sent", 401, 2);
        await ChooseFoldersAsync(bed, id, SyncFolder.Inbox, "Sent");
        await bed.SyncAsync(id);
        var other = SyncTestBed.NewUser();
        dovecot.Server.AddUser(other, SyncTestBed.Password);

        var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
        var input = (await accounts.GetForEditAsync(id))!;
        input.ImapUsername = other;
        input.ImapPassword = SyncTestBed.Password;
        (await accounts.UpdateAsync(id, input)).Succeeded.Should().BeTrue();

        (await bed.MessagesAsync(id)).Should().BeEmpty();
        foreach (var name in new[] { SyncFolder.Inbox, "Sent" })
        {
            var folder = await bed.FolderAsync(id, name);
            (folder.UidValidity, folder.LastSyncedUid, folder.HighestModSeq).Should().Be(((long?)null, 0L, (long?)null));
        }
    }

    private static IEnumerable<string> Subjects(int from, int count) => Enumerable.Range(from, count).Select(n => $"Test message {n}");

    /// <summary>Sets the account's folders through the service, as the dialog's save does.</summary>
    internal static async Task ChooseFoldersAsync(SyncTestBed bed, int accountId, params string[] folders)
    {
        var accounts = bed.Host.Get<EmailAccountService>(bed.Host.TenantA);
        var input = (await accounts.GetForEditAsync(accountId))!;
        input.Folders = folders;
        var saved = await accounts.UpdateAsync(accountId, input);
        saved.Succeeded.Should().BeTrue(string.Join("; ", saved.FieldErrors.Values));
    }

    /// <summary>Creates the folder (when missing) in the user's mailbox with a second client and appends messages to it.</summary>
    private Task AppendToFolderAsync(string user, string folder, int from, int count) =>
        AppendToFolderAsync(dovecot.Server, user, folder, Enumerable.Range(from, count).Select(n => DovecotServer.CreateMessage(n)));

    internal static async Task AppendToFolderAsync(DovecotServer server, string user, string folder, IEnumerable<MimeMessage> messages)
    {
        using var client = await SyncMirrorTests.OtherClientAsync(server, user);
        var root = client.GetFolder(client.PersonalNamespaces[0]);
        var target = (await root.GetSubfoldersAsync()).FirstOrDefault(f => f.FullName == folder)
            ?? await root.CreateAsync(folder, isMessageFolder: true)
            ?? throw new InvalidOperationException($"Could not create {folder}.");
        foreach (var message in messages)
        {
            await target.AppendAsync(message, MessageFlags.None);
        }
        await client.DisconnectAsync(true);
    }
}

/// <summary>The same folders, positions and resets on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class SyncFoldersTestsOnPostgres(SharedDovecot dovecot) : SyncFoldersTests(dovecot)
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>The rules for the folder list of an account (no database, no server).</summary>
public sealed class SyncFolderListTests
{
    [Fact]
    public void The_folder_list_must_name_one_to_twenty_distinct_folders()
    {
        static string? Check(params string[] folders) =>
            new EmailAccountInput { DisplayName = "Support", MailServerId = 1, Folders = folders }
                .Validate(isCreate: false).GetValueOrDefault(nameof(EmailAccountInput.Folders));

        Check(SyncFolder.Inbox).Should().BeNull();
        Check("INBOX", "Sent", "Archive.2024").Should().BeNull();
        Check().Should().Be("Choose at least one folder to sync (INBOX is the usual one).");
        Check("inbox", "INBOX").Should().Be("The folder \"INBOX\" is chosen twice.");
        Check("Sent", "Sent").Should().Be("The folder \"Sent\" is chosen twice.");
        Check("Sent", "sent").Should().BeNull("names other than INBOX are case-sensitive (RFC 3501)");
        Check(" ").Should().Be("A folder to sync has no name. Choose the folders again with List folders.");
        Check([.. Enumerable.Range(1, 21).Select(n => $"F{n}")]).Should().Be("Choose at most 20 folders to sync.");
        Check(new string('x', 501)).Should().StartWith("The folder name \"xxxx").And.EndWith("is longer than 500 characters.");
        new EmailAccountInput { Folders = ["Sent", "inbox", "Archive"] }.NormalizedFolders().Should().Equal("INBOX", "Archive", "Sent");
    }
}
