using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Sync;
using EmailSettings.Tests.Core.Sync;
using EmailSettings.Tests.Support;
using MailKit;

namespace EmailSettings.Tests.Core.Connections;

/// <summary>
/// List folders of the account dialog, against a real Dovecot with a personal folder tree and a public (shared)
/// namespace, and the sync of a folder picked from that list.
/// </summary>
public sealed class ImapFolderListingTests(ImapFolderListingTests.PublicFoldersDovecot fx) : IClassFixture<ImapFolderListingTests.PublicFoldersDovecot>
{
    [Fact]
    public async Task Lists_every_folder_of_every_namespace_INBOX_first_with_what_each_is_for()
    {
        await using var bed = await SyncTestBed.CreateAsync(fx.Server);
        var user = SyncTestBed.NewUser();
        fx.Server.AddUser(user, SyncTestBed.Password);
        await CreateFoldersAsync(user, "Sent", "Archive/2024", "Zeta");

        var listing = await bed.Host.Get<ImapConnectionTester>(bed.Host.TenantA).ListFoldersAsync(Input(user), null, CancellationToken.None);

        listing.Succeeded.Should().BeTrue(listing.Failure?.Summary);
        listing.Truncated.Should().BeFalse();
        var names = listing.Folders.Select(f => f.FullName).ToList();
        names[0].Should().Be("INBOX");
        names.Should().Contain(["Sent", "Archive/2024", "Zeta", fx.SharedFolder]);
        names.Should().OnlyHaveUniqueItems();
        listing.Folders.Single(f => f.FullName == "Sent").SpecialUse.Should().Be("Sent", "the server marks it \\Sent");
        listing.Folders.Single(f => f.FullName == "Zeta").SpecialUse.Should().BeNull();
        listing.Folders.Where(f => f.FullName is "INBOX" or "Sent" or "Archive/2024" or "Zeta").Should().OnlyContain(f => f.CanSync);
        bed.Host.Logs.AllText.Should().NotContain(SyncTestBed.Password);
    }

    [Fact]
    public async Task A_shared_folder_picked_from_the_list_syncs_beside_INBOX()
    {
        await using var bed = await SyncTestBed.CreateAsync(fx.Server);
        var (id, user) = await bed.AddAccountAsync();
        await bed.AppendAsync(user, 1, 2);
        await SyncFoldersTests.ChooseFoldersAsync(bed, id, SyncFolder.Inbox, fx.SharedFolder);

        (await bed.SyncAsync(id)).Should().Be(SyncOutcome.Success(2 + PublicFoldersDovecot.SharedMessages));

        var shared = await bed.FolderAsync(id, fx.SharedFolder);
        (await bed.MessagesAsync(id)).Count(m => m.SyncFolderId == shared.Id).Should().Be(PublicFoldersDovecot.SharedMessages);
    }

    [Fact]
    public async Task On_edit_a_blank_password_lists_with_the_stored_one_and_a_wrong_one_fails_like_Test_Connection()
    {
        await using var bed = await SyncTestBed.CreateAsync(fx.Server);
        var (id, user) = await bed.AddAccountAsync();
        var tester = bed.Host.Get<ImapConnectionTester>(bed.Host.TenantA);

        var stored = await tester.ListFoldersAsync(Input(user, password: null), id, CancellationToken.None);
        var wrong = await tester.ListFoldersAsync(Input(user, password: "Wrong-Pa55word!"), null, CancellationToken.None);
        var otherTenant = await bed.Host.Get<ImapConnectionTester>(bed.Host.TenantB).ListFoldersAsync(Input(user, password: null), id, CancellationToken.None);
        var noHost = await tester.ListFoldersAsync(new EmailAccountInput { ImapUsername = user, ImapPassword = "x" }, null, CancellationToken.None);

        stored.Succeeded.Should().BeTrue(stored.Failure?.Summary);
        stored.Folders.Should().Contain(f => f.FullName == "INBOX");
        wrong.Succeeded.Should().BeFalse();
        wrong.Folders.Should().BeEmpty();
        wrong.Failure!.Failure.Should().Be(ConnectionFailureKind.AuthenticationFailed);
        wrong.Failure.Field.Should().Be(nameof(EmailAccountInput.ImapPassword));
        otherTenant.Failure!.Failure.Should().Be(ConnectionFailureKind.NotFound);
        noHost.Failure!.Field.Should().Be(nameof(EmailAccountInput.ImapHost));
        bed.Host.Logs.AllText.Should().NotContain("Wrong-Pa55word!");
    }

    [Fact]
    public async Task An_untrusted_certificate_is_refused_before_anything_is_listed()
    {
        await using var bed = await SyncTestBed.CreateAsync(fx.Server);
        var user = SyncTestBed.NewUser();
        fx.Server.AddUser(user, SyncTestBed.Password);

        var listing = await bed.Host.Get<ImapConnectionTester>(bed.Host.TenantA).ListFoldersAsync(Unpinned(user), null, CancellationToken.None);

        listing.Folders.Should().BeEmpty();
        listing.Failure!.Failure.Should().Be(ConnectionFailureKind.CertificateNotTrusted);
        listing.Failure.Certificate!.Sha256.Should().Be(fx.Server.CertificateSha256);
    }

    private EmailAccountInput Input(string user, string? password = SyncTestBed.Password) => new()
    {
        DisplayName = "Support",
        MailServerId = 1,
        ImapHost = fx.Server.Host,
        ImapPort = fx.Server.ImapPort,
        ImapUsername = user,
        ImapPassword = password,
        ImapUseTls = true,
        ImapPinnedCertificateSha256 = fx.Server.CertificateSha256,
    };

    private EmailAccountInput Unpinned(string user)
    {
        var input = Input(user);
        input.ImapPinnedCertificateSha256 = null;
        return input;
    }

    private Task CreateFoldersAsync(string user, params string[] names) => fx.CreateFoldersAsync(user, names);

    /// <summary>A Dovecot with <see cref="DovecotServer.WithPublicFolders"/>, and one public folder with a few messages.</summary>
    public sealed class PublicFoldersDovecot : IAsyncLifetime
    {
        public const int SharedMessages = 3;

        public DovecotServer Server { get; private set; } = null!;

        /// <summary>The public folder's full name, as the server lists it.</summary>
        public string SharedFolder => "Public/Support";

        public async Task InitializeAsync()
        {
            Server = await DovecotServer.StartAsync(null, DovecotServer.WithPublicFolders);
            const string owner = "public-owner";
            Server.AddUser(owner, SyncTestBed.Password);
            using var client = await SyncMirrorTests.OtherClientAsync(Server, owner);
            var shared = client.GetFolder(client.SharedNamespaces[0]);
            var support = await shared.CreateAsync("Support", isMessageFolder: true)
                ?? throw new InvalidOperationException("Could not create the public folder.");
            for (var n = 1; n <= SharedMessages; n++)
            {
                await support.AppendAsync(DovecotServer.CreateMessage(500 + n), MessageFlags.None);
            }
            await client.DisconnectAsync(true);
        }

        public async Task CreateFoldersAsync(string user, params string[] names)
        {
            using var client = await SyncMirrorTests.OtherClientAsync(Server, user);
            var root = client.GetFolder(client.PersonalNamespaces[0]);
            foreach (var name in names)
            {
                var parent = root;
                var parts = name.Split('/');
                for (var i = 0; i < parts.Length; i++)
                {
                    var existing = (await parent.GetSubfoldersAsync()).FirstOrDefault(f => f.Name == parts[i]);
                    parent = existing ?? await parent.CreateAsync(parts[i], isMessageFolder: true)
                        ?? throw new InvalidOperationException($"Could not create {name}.");
                }
            }
            await client.DisconnectAsync(true);
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}
