using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace EmailSettings.Tests.Support;

/// <summary>Dovecot's oauth2 passdb against an authorization server's introspection endpoint (RFC 7662, post mode).</summary>
/// <param name="SubmissionRelayPort">Also run Dovecot's submission service, relaying to this local SMTP port (for example
/// <see cref="SmtpTestServer.PlainPort"/>), so XOAUTH2 over SMTP is checked by the same passdb.</param>
public sealed record DovecotOAuth2(Uri IntrospectionUrl, string ClientId, string ClientSecret, int? SubmissionRelayPort = null)
{
    internal string BuildConfig() => string.Join('\n',
        $"introspection_url = {IntrospectionUrl}",
        "introspection_mode = post",
        $"client_id = {ClientId}",
        $"client_secret = {ClientSecret}",
        "force_introspection = yes",
        "username_attribute = sub",
        "active_attribute = active",
        "active_value = true",
        "timeout_msecs = 10000",
        "");
}

/// <summary>
/// A real Dovecot 2.3 IMAP server (Debian package dovecot-imapd) running as a child process with its own
/// configuration, state and mail in a private temp folder. Must run as root (Dovecot drops privileges
/// itself; the mail is owned by uid/gid 65534).
/// </summary>
/// <remarks>
/// Ports: <see cref="ImapPort"/> is plain IMAP with STARTTLS offered (plaintext LOGIN is allowed too),
/// <see cref="ImapsPort"/> is TLS on connect. Users live in per-user passwd-files with {PLAIN} passwords,
/// so <see cref="AddUser"/> works while running. All files live under <see cref="TempRoot"/>; the process
/// tree and the folder are removed on <see cref="DisposeAsync"/> and, as a fallback, at test-host exit.
/// </remarks>
public sealed class DovecotServer : IAsyncDisposable
{
    /// <summary>uid that owns all mail (nobody on Debian).</summary>
    public const int MailUid = 65534;

    /// <summary>gid that owns all mail (nogroup on Debian).</summary>
    public const int MailGid = 65534;

    private const string WindowsNotSupported = "DovecotServer needs Linux (Debian package dovecot-imapd) and root.";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _confPath;
    private readonly string _passwdDir;
    private readonly string _logPath;
    private readonly string _baseDir;
    private readonly object _usersLock = new();
    private readonly object _outputLock = new();
    private readonly StringBuilder _output = new();
    private readonly EventHandler _processExitHandler;
    private Process? _process;
    private long _deliveryCounter;
    private bool _disposed;

    private IReadOnlyList<string> extraConfigLines = [];
    private DovecotOAuth2? oauth2;

    private DovecotServer(X509Certificate2 certificate)
    {
        Certificate = certificate;
        CertificateSha256 = TestCertificates.Sha256Fingerprint(certificate);
        ImapPort = FreePort.Next();
        ImapsPort = FreePort.Next();
        RootDirectory = Path.Combine(TempRoot, "dovecot-tests-" + Guid.NewGuid().ToString("N"));
        MailRoot = Path.Combine(RootDirectory, "mail");
        _baseDir = Path.Combine(RootDirectory, "run");
        _confPath = Path.Combine(RootDirectory, "dovecot.conf");
        _passwdDir = Path.Combine(RootDirectory, "passwd.d");
        _logPath = Path.Combine(RootDirectory, "dovecot.log");
        _processExitHandler = (_, _) =>
        {
            // Test host exits without DisposeAsync (crashed/aborted run): leave no dovecot and no temp folder.
            KillProcessTreeBestEffort();
            DeleteRootBestEffort();
        };
    }

    /// <summary>
    /// Parent folder for the per-server temp folders. Defaults to /dev/shm (tmpfs) when it exists and has
    /// at least 1 GiB free, because creating 10,000 Maildir files on a VM disk can take ~1 ms per file;
    /// otherwise <see cref="Path.GetTempPath"/>. May be set before <see cref="StartAsync"/>.
    /// </summary>
    public static string TempRoot { get; set; } = ChooseTempRoot();

    /// <summary>Always "127.0.0.1".</summary>
    public string Host => "127.0.0.1";

    /// <summary>
    /// The submission (SMTP) port with STARTTLS, when started with <see cref="DovecotOAuth2.SubmissionRelayPort"/>: it signs
    /// in with the same passdbs and relays what it accepts to that port. 0 otherwise.
    /// </summary>
    public int SubmissionPort { get; private set; }

    /// <summary>Plain IMAP port; STARTTLS is offered and plaintext login is allowed.</summary>
    public int ImapPort { get; }

    /// <summary>IMAPS port (TLS on connect).</summary>
    public int ImapsPort { get; }

    /// <summary>The server certificate (<see cref="TestCertificates.SharedLocalhost"/> unless one was passed in; not disposed by this class).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 fingerprint of <see cref="Certificate"/>, uppercase hex without separators.</summary>
    public string CertificateSha256 { get; }

    /// <summary>The private temp folder holding config, state, logs and mail.</summary>
    public string RootDirectory { get; }

    /// <summary>Folder holding each user's home (<c>MailRoot/user/Maildir</c>).</summary>
    public string MailRoot { get; }

    /// <summary>True while the dovecot master process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Creates the temp folder and config, starts <c>dovecot -F</c> and waits until the IMAP port greets.
    /// </summary>
    public static Task<DovecotServer> StartAsync(X509Certificate2? certificate = null, CancellationToken ct = default) =>
        StartAsync(certificate, extraConfig: [], ct);

    /// <summary>
    /// As <see cref="StartAsync(X509Certificate2?, CancellationToken)"/>, with extra top-level Dovecot settings appended
    /// to the generated config (e.g. an <c>imap_capability</c> line to act as a server without CONDSTORE).
    /// </summary>
    public static Task<DovecotServer> StartAsync(X509Certificate2? certificate, IReadOnlyList<string> extraConfig, CancellationToken ct = default) =>
        StartAsync(certificate, extraConfig, oauth2: null, ct);

    /// <summary>
    /// As above, and with <paramref name="oauth2"/> also Dovecot's <c>oauth2</c> passdb: XOAUTH2 and OAUTHBEARER are
    /// offered and each token is checked at the authorization server's introspection endpoint (post mode, the token's
    /// <c>sub</c> must be the username, <c>active</c> must be true). Password users keep working as before.
    /// </summary>
    public static async Task<DovecotServer> StartAsync(X509Certificate2? certificate, IReadOnlyList<string> extraConfig, DovecotOAuth2? oauth2,
        CancellationToken ct = default)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(WindowsNotSupported);
        }

        ExternalServers.Starting("Dovecot");
        var server = new DovecotServer(certificate ?? TestCertificates.SharedLocalhost) { extraConfigLines = extraConfig, oauth2 = oauth2 };
        if (oauth2?.SubmissionRelayPort is not null)
        {
            server.SubmissionPort = FreePort.Next();
        }
        try
        {
            server.CreateLayout();
            await server.StartProcessAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Adds (or replaces) a user. Each user has its own passwd-file (<c>passwd.d/&lt;user&gt;</c>, passdb
    /// path with %u), so a new user can log in immediately without a restart. Replacing the password of a
    /// user who logged in during the last second may take up to ~1 s to be seen (Dovecot stats a
    /// passwd-file at most once per second).
    /// </summary>
    public void AddUser(string user, string password)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(WindowsNotSupported);
        }

        ValidatePasswdField(user, nameof(user));
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (password.IndexOfAny([':', '\n', '\r', '\0']) >= 0)
        {
            throw new ArgumentException("Must not contain ':', line breaks or NUL (passwd-file format).", nameof(password));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);

        lock (_usersLock)
        {
            WriteUserFile(user, password);
        }
    }

    /// <summary>
    /// Appends the messages to the user's INBOX with IMAP APPEND (no flags, so they are unseen),
    /// over STARTTLS on <see cref="ImapPort"/>.
    /// </summary>
    public async Task AppendAsync(string user, string password, IEnumerable<MimeMessage> messages, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var client = new ImapClient
        {
            ServerCertificateValidationCallback = TestCertificates.AcceptOnly(CertificateSha256),
            Timeout = 30_000,
        };
        await client.ConnectAsync(Host, ImapPort, SecureSocketOptions.StartTls, ct).ConfigureAwait(false);
        await client.AuthenticateAsync(user, password, ct).ConfigureAwait(false);

        var batch = new List<IAppendRequest>(100);
        foreach (var message in messages)
        {
            batch.Add(new AppendRequest(message, MessageFlags.None));
            if (batch.Count == 100)
            {
                await client.Inbox.AppendAsync(batch, ct).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await client.Inbox.AppendAsync(batch, ct).ConfigureAwait(false);
        }

        await client.DisconnectAsync(true, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Bulk-fills the user's INBOX by writing the messages straight into <c>Maildir/new</c> (tmp + rename,
    /// unique names, owned by 65534). Creates the Maildir if missing. Dovecot indexes them on the next
    /// access (works while running: Dovecot notices the new/ mtime change). Returns the number written.
    /// </summary>
    public int DeliverToMaildir(string user, IEnumerable<MimeMessage> messages)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(WindowsNotSupported);
        }

        ValidatePasswdField(user, nameof(user));
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var home = Path.Combine(MailRoot, user);
        var maildir = Path.Combine(home, "Maildir");
        var tmp = Path.Combine(maildir, "tmp");
        var @new = Path.Combine(maildir, "new");
        foreach (var dir in new[] { home, maildir, Path.Combine(maildir, "cur"), @new, tmp })
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Unix; // Maildir files use LF line endings
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var pid = Environment.ProcessId;
        var count = 0;
        using var buffer = new MemoryStream();
        foreach (var message in messages)
        {
            buffer.SetLength(0);
            message.WriteTo(format, buffer);
            var name = MaildirFileName(seconds, Interlocked.Increment(ref _deliveryCounter), pid, buffer.Length);
            var tmpPath = Path.Combine(tmp, name);
            using (var file = new FileStream(tmpPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                buffer.Position = 0;
                buffer.CopyTo(file);
            }

            File.Move(tmpPath, Path.Combine(@new, name));
            count++;
        }

        Chown(home, recursive: true);
        return count;
    }

    /// <summary>
    /// The name of a delivered message: <c>&lt;time&gt;.M&lt;n&gt;P&lt;pid&gt;.dovecot-tests,S=&lt;size&gt;</c>, the form
    /// Dovecot's own deliveries use (<c>&lt;time&gt;.M&lt;usec&gt;P&lt;pid&gt;.&lt;host&gt;</c>). <paramref name="sequence"/>
    /// takes the place of the microseconds, so Dovecot (which sorts new files by time, then by the M number) gives
    /// UIDs in delivery order; S= lets it skip a stat.
    /// </summary>
    /// <remarks>
    /// The sequence appears once on purpose. Dovecot keeps a Maildir's file names in a hash table keyed by
    /// maildir_filename_base_hash, an ELF-style hash that folds a character back onto the same bits 6 characters later.
    /// The earlier form <c>M&lt;n&gt;P&lt;pid&gt;Q&lt;n&gt;</c> wrote n twice; whenever n and the pid together had 10 digits
    /// (a 5-digit pid and messages 10,000 to 99,999, say) the two copies cancelled out, 50,000 names fell into 25 hash
    /// values, and every session that loads dovecot-uidlist spent seconds comparing names. Whether it hit depended on the
    /// test process's pid.
    /// </remarks>
    internal static string MaildirFileName(long seconds, long sequence, int pid, long size) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds}.M{sequence}P{pid}.dovecot-tests,S={size}");

    /// <summary>
    /// Builds a small realistic plain-text message: From, To, Subject "Test message n", Date
    /// (default 2024-01-01 08:00 UTC + n minutes), Message-ID (default test-message-n@example.com), body.
    /// </summary>
    /// <remarks>
    /// Built by parsing RFC 5322 text, which measured about twice as fast as assembling it with
    /// <c>new MimeMessage()</c> (relevant when creating 10,000 messages).
    /// </remarks>
    public static MimeMessage CreateMessage(
        int n,
        string from = "Test Sender <sender@example.com>",
        string to = "Test User <user@example.com>",
        DateTimeOffset? date = null,
        string? messageId = null)
    {
        var format = FormatOptions.Default;
        var fromHeader = MailboxAddress.Parse(from).ToString(format, encode: true);
        var toHeader = MailboxAddress.Parse(to).ToString(format, encode: true);
        var id = messageId ?? string.Create(CultureInfo.InvariantCulture, $"test-message-{n}@example.com");
        if (id.IndexOfAny(['<', '>', '\r', '\n', ' ']) >= 0)
        {
            throw new ArgumentException("Pass the Message-ID without angle brackets or whitespace.", nameof(messageId));
        }

        var when = date ?? new DateTimeOffset(2024, 1, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(n);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder(512)
            .Append(c, $"From: {fromHeader}\r\n")
            .Append(c, $"To: {toHeader}\r\n")
            .Append(c, $"Subject: Test message {n}\r\n")
            .Append(c, $"Date: {MimeKit.Utils.DateUtils.FormatDate(when)}\r\n")
            .Append(c, $"Message-ID: <{id}>\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Transfer-Encoding: 7bit\r\n")
            .Append("\r\n")
            .Append(c, $"Hello,\r\n\r\nthis is test message number {n}.\r\n\r\nRegards,\r\nTest Sender\r\n")
            .ToString();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
        return MimeMessage.Load(stream);
    }

    /// <summary>
    /// Kills the dovecot process tree (open connections drop) and waits until both ports refuse
    /// connections. No-op when already stopped.
    /// </summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }

        process.Dispose();

        // Children (login processes) hold the listening sockets too; wait until the kernel released them
        // so a restart can bind the same ports.
        await WaitUntilPortsClosedAsync().ConfigureAwait(false);
    }

    /// <summary>Stops (if running) and starts again on the same ports with the same config and mail.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopAsync().ConfigureAwait(false);
        await StartProcessAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Dovecot 2.3's own capability list (after login) without QRESYNC, for <see cref="StartAsync(X509Certificate2?, IReadOnlyList{string}, CancellationToken)"/>:
    /// a server like Gmail that offers CONDSTORE (and ESEARCH) but not QRESYNC. Dovecot has no switch for one extension;
    /// <c>imap_capability</c> replaces the advertised list, and clients (MailKit) use only what is advertised.
    /// </summary>
    public static readonly IReadOnlyList<string> WithoutQuickResync =
    [
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS " +
        "THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 " +
        "CONDSTORE ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW " +
        "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE",
    ];

    /// <summary>Dovecot's list with QRESYNC but without UNSELECT (RFC 3691), which some QRESYNC servers lack.</summary>
    public static readonly IReadOnlyList<string> WithoutUnselect =
    [
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS " +
        "THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 " +
        "CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW " +
        "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE",
    ];

    /// <summary>As <see cref="WithoutQuickResync"/>, without CONDSTORE and ESEARCH too: no mod-sequences at all.</summary>
    public static readonly IReadOnlyList<string> WithoutCondStore =
        ["imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE SPECIAL-USE"];

    /// <summary>
    /// A shared folder tree: a public namespace "Public/" (one Maildir for every user, RFC 2342's shared namespace) beside
    /// the personal one, whose separator becomes "/" and whose "Sent" folder is marked \Sent (RFC 6154). The text
    /// <c>{MailRoot}</c> stands for <see cref="MailRoot"/>.
    /// </summary>
    public static readonly IReadOnlyList<string> WithPublicFolders =
    [
        "namespace inbox {", "  inbox = yes", "  separator = /", "  mailbox Sent {", "    special_use = \\Sent", "  }", "}",
        "namespace public {", "  type = public", "  separator = /", "  prefix = Public/", "  location = maildir:{MailRoot}/public",
        "  subscriptions = no", "  list = yes", "}",
    ];

    /// <summary>
    /// Deletes Dovecot's uidlist and index files for the user's INBOX (or <paramref name="folder"/>, e.g. "Sent" or
    /// "Archive/2024") so the next access assigns a new, higher UIDVALIDITY (and renumbers UIDs from 1). Works while
    /// running without a restart, but only for sessions opened afterwards: disconnect IMAP clients of that user first.
    /// The dovecot-uidvalidity* counter files are kept on purpose, so the new value is guaranteed to differ.
    /// </summary>
    public void ResetUidValidity(string user, string folder = "INBOX")
    {
        ValidatePasswdField(user, nameof(user));
        ObjectDisposedException.ThrowIf(_disposed, this);

        var root = Path.Combine(MailRoot, user, "Maildir");
        // Maildir++ layout: INBOX is the Maildir itself, "Archive/2024" is the folder ".Archive.2024" in it.
        var maildir = string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase)
            ? root
            : Path.Combine(root, "." + folder.Replace('/', '.'));
        if (!Directory.Exists(maildir))
        {
            throw new InvalidOperationException($"User '{user}' has no Maildir folder yet at {maildir}.");
        }
        // The mailbox list index (in the Maildir's root) caches every folder's UIDVALIDITY.
        foreach (var file in Directory.GetFiles(root, "dovecot.list.index*"))
        {
            File.Delete(file);
        }

        // Make sure a uidvalidity marker exists so Dovecot increments from the old value instead of
        // picking a fresh time-based one (which can repeat within the same second).
        var uidlist = Path.Combine(maildir, "dovecot-uidlist");
        if (File.Exists(uidlist) && Directory.GetFiles(maildir, "dovecot-uidvalidity.*").Length == 0)
        {
            var header = File.ReadLines(uidlist).FirstOrDefault() ?? string.Empty;
            var v = header.Split(' ').FirstOrDefault(p => p.StartsWith('V'));
            if (v is not null && uint.TryParse(v.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var old))
            {
                var marker = Path.Combine(maildir, "dovecot-uidvalidity." + old.ToString("x8", CultureInfo.InvariantCulture));
                File.WriteAllBytes(marker, []);
                Chown(marker, recursive: false);
            }
        }

        foreach (var pattern in new[] { "dovecot-uidlist*", "dovecot.index*", "dovecot.list.index*" })
        {
            foreach (var file in Directory.GetFiles(maildir, pattern))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Contents of Dovecot's log file (never contains passwords: auth_verbose_passwords = no).</summary>
    public string ReadLog() => File.Exists(_logPath) ? File.ReadAllText(_logPath) : string.Empty;

    /// <summary>How many IMAP sessions <paramref name="user"/> has signed in to so far (Dovecot logs one "Login:" line per session).</summary>
    public int LoginCount(string user)
    {
        var marker = $"Login: user=<{user}>";
        var log = ReadLog();
        var count = 0;
        for (var at = log.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = log.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    /// <summary>Kills the process tree and deletes the temp folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= _processExitHandler;
            DeleteRootBestEffort();
        }
    }

    [UnsupportedOSPlatform("windows")]
    private void CreateLayout()
    {
        const UnixFileMode mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

        // Dovecot's unprivileged processes (auth as 'dovecot', imap as 65534) must traverse to this folder:
        // a 0700 temp dir (e.g. Directory.CreateTempSubdirectory) makes logins fail.
        Directory.CreateDirectory(RootDirectory, mode0755);
        File.SetUnixFileMode(RootDirectory, mode0755); // CreateDirectory's mode is subject to umask
        EnsureParentsTraversable(RootDirectory);

        Directory.CreateDirectory(_baseDir, mode0755);
        Directory.CreateDirectory(Path.Combine(RootDirectory, "state"), mode0755);
        Directory.CreateDirectory(MailRoot, mode0755);
        Directory.CreateDirectory(_passwdDir, mode0755);
        File.SetUnixFileMode(_passwdDir, mode0755);
        File.SetUnixFileMode(MailRoot, mode0755);
        Chown(MailRoot, recursive: false);

        var certPath = Path.Combine(RootDirectory, "cert.pem");
        var keyPath = Path.Combine(RootDirectory, "key.pem");
        TestCertificates.WritePemFiles(Certificate, certPath, keyPath);

        File.WriteAllText(_confPath, BuildConfig(certPath, keyPath));
    }

    private string BuildConfig(string certPath, string keyPath)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Generated by EmailSettings.Tests.Support.DovecotServer (Dovecot 2.3 syntax)");
        sb.AppendLine(c, $"instance_name = dovecot-tests-{Path.GetFileName(RootDirectory)}");
        sb.AppendLine(c, $"base_dir = {_baseDir}");
        sb.AppendLine(c, $"state_dir = {Path.Combine(RootDirectory, "state")}");
        sb.AppendLine(c, $"log_path = {_logPath}");
        sb.AppendLine(c, $"info_log_path = {_logPath}");
        sb.AppendLine("listen = 127.0.0.1");
        sb.AppendLine(SubmissionPort == 0 ? "protocols = imap" : "protocols = imap submission");
        sb.AppendLine("default_login_user = dovenull");
        sb.AppendLine("default_internal_user = dovecot");
        sb.AppendLine("login_trusted_networks ="); // nothing trusted: loopback behaves like any client
        sb.AppendLine("ssl = yes");
        sb.AppendLine(c, $"ssl_cert = <{certPath}");
        sb.AppendLine(c, $"ssl_key = <{keyPath}");
        sb.AppendLine("disable_plaintext_auth = no");
        sb.AppendLine(oauth2 is null ? "auth_mechanisms = plain login" : "auth_mechanisms = plain login xoauth2 oauthbearer");
        sb.AppendLine("auth_verbose_passwords = no");
        sb.AppendLine("auth_cache_size = 0");
        sb.AppendLine("auth_failure_delay = 0");
        sb.AppendLine("mail_fsync = never");
        sb.AppendLine(c, $"mail_location = maildir:{MailRoot}/%u/Maildir");
        foreach (var line in extraConfigLines)
        {
            sb.AppendLine(line.Replace("{MailRoot}", MailRoot, StringComparison.Ordinal));
        }
        if (oauth2 is not null)
        {
            // Tokens first, and only for the token mechanisms; passwords below only for PLAIN and LOGIN.
            var oauthConf = Path.Combine(RootDirectory, "dovecot-oauth2.conf.ext");
            File.WriteAllText(oauthConf, oauth2.BuildConfig());
            sb.AppendLine("passdb {");
            sb.AppendLine("  driver = oauth2");
            sb.AppendLine("  mechanisms = xoauth2 oauthbearer");
            sb.AppendLine(c, $"  args = {oauthConf}");
            sb.AppendLine("}");
        }
        if (oauth2?.SubmissionRelayPort is { } relay)
        {
            sb.AppendLine("hostname = localhost");
            sb.AppendLine("submission_relay_host = 127.0.0.1");
            sb.AppendLine(c, $"submission_relay_port = {relay}");
            sb.AppendLine("submission_relay_trusted = yes");
            sb.AppendLine("submission_relay_ssl = no");
            sb.AppendLine("service submission-login {");
            sb.AppendLine("  inet_listener submission {");
            sb.AppendLine(c, $"    port = {SubmissionPort}");
            sb.AppendLine("  }");
            sb.AppendLine("}");
        }
        sb.AppendLine("passdb {");
        sb.AppendLine("  driver = passwd-file");
        if (oauth2 is not null)
        {
            sb.AppendLine("  mechanisms = plain login");
        }
        // One file per user: a path with %u gets its own (uncached-when-missing) passwd-file per user, so a
        // user added while running is visible at once. A single shared file would be stat'ed at most once
        // per second and a user added in the same second as another login would be "unknown".
        sb.AppendLine(c, $"  args = scheme=PLAIN {_passwdDir}/%u");
        sb.AppendLine("}");
        sb.AppendLine("userdb {");
        sb.AppendLine("  driver = static");
        sb.AppendLine(c, $"  args = uid={MailUid} gid={MailGid} home={MailRoot}/%u");
        sb.AppendLine("}");
        // Disable the auth penalty (anvil delays logins 2, 4, 8 ... 15 s after failures from one IP), the
        // documented way: make its socket unusable. Keeps wrong-password tests fast.
        sb.AppendLine("service anvil {");
        sb.AppendLine("  unix_listener anvil-auth-penalty {");
        sb.AppendLine("    mode = 0");
        sb.AppendLine("  }");
        sb.AppendLine("}");
        sb.AppendLine("service imap-login {");
        sb.AppendLine("  inet_listener imap {");
        sb.AppendLine(c, $"    port = {ImapPort}");
        sb.AppendLine("  }");
        sb.AppendLine("  inet_listener imaps {");
        sb.AppendLine(c, $"    port = {ImapsPort}");
        sb.AppendLine("    ssl = yes");
        sb.AppendLine("  }");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Dovecot is already running.");
        }

        // A master.pid left by a killed master could match a reused pid and make dovecot refuse to start.
        File.Delete(Path.Combine(_baseDir, "master.pid"));

        var psi = new ProcessStartInfo("dovecot")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        psi.ArgumentList.Add("-F"); // foreground: without it dovecot daemonizes and keeps our pipes open
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_confPath);

        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => AppendOutput(e.Data);
        process.ErrorDataReceived += (_, e) => AppendOutput(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start dovecot.");
        }

        _process = process;
        AppDomain.CurrentDomain.ProcessExit -= _processExitHandler;
        AppDomain.CurrentDomain.ProcessExit += _processExitHandler;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await WaitForGreetingAsync(process, ct).ConfigureAwait(false);
    }

    private async Task WaitForGreetingAsync(Process process, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(StartTimeout);
        string? lastProblem = null;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"dovecot exited with code {process.ExitCode} during start-up.{DiagnosticsText()}");
            }

            if (deadline.IsCancellationRequested)
            {
                ct.ThrowIfCancellationRequested();
                throw new TimeoutException(
                    $"dovecot did not greet on 127.0.0.1:{ImapPort} within {StartTimeout.TotalSeconds:0} s (last problem: {lastProblem}).{DiagnosticsText()}");
            }

            try
            {
                var greeting = await ReadGreetingAsync(ImapPort, deadline.Token).ConfigureAwait(false);
                if (greeting.StartsWith("* OK", StringComparison.Ordinal))
                {
                    return;
                }

                lastProblem = "unexpected greeting: " + greeting;
            }
            catch (SocketException ex)
            {
                // Expected while dovecot is still binding its listeners: remember it and poll again.
                lastProblem = ex.Message;
            }
            catch (IOException ex)
            {
                // Connection reset/closed during start-up: remember it and poll again.
                lastProblem = ex.Message;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                // Deadline or caller cancellation: the loop head turns this into the right exception.
                lastProblem ??= "connect/greeting timed out";
                continue;
            }

            await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<string> ReadGreetingAsync(int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Host, port, ct).ConfigureAwait(false);
        var stream = tcp.GetStream();
        var line = new StringBuilder();
        var buffer = new byte[256];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0)
            {
                return line.ToString();
            }

            line.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var newline = line.ToString().IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                return line.ToString(0, newline).TrimEnd('\r');
            }
        }
    }

    private async Task WaitUntilPortsClosedAsync()
    {
        var deadline = DateTime.UtcNow + StopTimeout;
        foreach (var port in new[] { ImapPort, ImapsPort, SubmissionPort }.Where(p => p != 0))
        {
            while (await IsAcceptingAsync(port).ConfigureAwait(false))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Port {port} still accepts connections after dovecot was killed.");
                }

                await Task.Delay(20).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> IsAcceptingAsync(int port)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await tcp.ConnectAsync(Host, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            // Connection refused: the port is closed, which is what we are waiting for.
            return false;
        }
    }

    [UnsupportedOSPlatform("windows")]
    private void WriteUserFile(string user, string password)
    {
        // Caller holds _usersLock. Write to a temp file and rename so dovecot never reads a partial file.
        var path = Path.Combine(_passwdDir, user);
        var tmp = Path.Combine(RootDirectory, "passwd.tmp");
        File.WriteAllText(tmp, user + ":{PLAIN}" + password + "\n");
        // Read by the auth process running as the 'dovecot' user.
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(tmp, path, overwrite: true);
    }

    private static string ChooseTempRoot()
    {
        const long minimumFree = 1L << 30;
        try
        {
            if (!OperatingSystem.IsWindows() && Directory.Exists("/dev/shm")
                && new DriveInfo("/dev/shm").AvailableFreeSpace >= minimumFree)
            {
                return "/dev/shm";
            }
        }
        catch (IOException)
        {
            // /dev/shm not usable (odd mount): fall back to the normal temp folder below.
        }
        catch (UnauthorizedAccessException)
        {
            // /dev/shm not usable (no access): fall back to the normal temp folder below.
        }

        return Path.GetTempPath();
    }

    private static void ValidatePasswdField(string value, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, name);
        if (value.IndexOfAny([':', '\n', '\r', '/', '\0']) >= 0 || value is "." or "..")
        {
            throw new ArgumentException("Must not contain ':', '/', line breaks or NUL, and must not be '.' or '..'.", name);
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static void EnsureParentsTraversable(string path)
    {
        // Add (never remove) the execute bits on every parent so unprivileged dovecot processes can
        // traverse to the folder. Sticky/world-writable bits of /tmp stay untouched.
        const UnixFileMode traverse = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        for (var dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if ((mode & traverse) != traverse)
            {
                File.SetUnixFileMode(dir, mode | traverse);
            }
        }
    }

    private static void Chown(string path, bool recursive)
    {
        var psi = new ProcessStartInfo("chown")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        if (recursive)
        {
            psi.ArgumentList.Add("-R");
        }

        psi.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"{MailUid}:{MailGid}"));
        psi.ArgumentList.Add(path);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start chown.");
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown {path} failed with exit code {process.ExitCode}: {stderr} (tests must run as root)");
        }
    }

    private void AppendOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    private string DiagnosticsText()
    {
        string output;
        lock (_outputLock)
        {
            output = _output.ToString();
        }

        return $"{Environment.NewLine}--- dovecot stdout/stderr ---{Environment.NewLine}{output}" +
               $"--- {_logPath} ---{Environment.NewLine}{ReadLog()}";
    }

    private void KillProcessTreeBestEffort()
    {
        try
        {
            var process = _process;
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
            // Best-effort cleanup at test-host exit: the process already exited in the meantime.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Best-effort cleanup at test-host exit: nothing useful can be done if the kill fails.
        }
    }

    private void DeleteRootBestEffort()
    {
        try
        {
            if (Directory.Exists(RootDirectory))
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best-effort cleanup in Dispose: a leftover temp folder must not fail the test run.
        }
        catch (UnauthorizedAccessException)
        {
            // Best-effort cleanup in Dispose: a leftover temp folder must not fail the test run.
        }
    }
}
