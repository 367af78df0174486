using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A real PostgreSQL (Debian's <c>postgresql</c> package) started for this test run: a fresh cluster made by
/// <c>initdb</c> in a temp folder owned by the <c>postgres</c> user, listening on a free loopback port and on a
/// unix socket in its own folder, run as <c>postgres</c> (<c>runuser</c>) when the tests run as root because
/// PostgreSQL refuses to run as root. Stopped and removed on dispose, or when the test process exits.
/// Each test gets its own database from <see cref="CreateDatabaseAsync"/> (CREATE DATABASE takes milliseconds).
/// </summary>
/// <remarks>No test-framework code here, so the benchmarks can compile this file too.</remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(() => StartAsync());
    private static int databaseCounter;

    private readonly string binFolder;
    private readonly EventHandler processExitHandler;
    private int stopped;

    private PostgresServer(string binFolder, string root, int port)
    {
        this.binFolder = binFolder;
        Root = root;
        Port = port;
        processExitHandler = (_, _) => Stop();
    }

    /// <summary>The temp folder holding the cluster (<c>data</c>), its unix socket (<c>socket</c>) and its log.</summary>
    public string Root { get; }

    public string DataFolder => Path.Combine(Root, "data");
    public string SocketFolder => Path.Combine(Root, "socket");
    public string LogPath => Path.Combine(Root, "postgres.log");
    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>The one server of this test run, started on first use and stopped when the test process exits.</summary>
    public static Task<PostgresServer> SharedAsync() => SharedServer.Value;

    /// <summary>
    /// When set before the shared server starts, it keeps PostgreSQL's durable defaults (fsync, synchronous commit)
    /// instead of the test settings that turn them off: the benchmarks measure a server as production runs it.
    /// </summary>
    public static bool Durable { get; set; }

    /// <summary>Connection string of <paramref name="database"/> as the superuser (trust authentication on loopback).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Database = database,
        Username = SuperUser,
        MaxPoolSize = 20,
        Timeout = 30,
    }.ConnectionString;

    /// <summary>Creates an empty database with a unique name and returns that name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref databaseCounter)}");
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Drops <paramref name="database"/>, closing whatever connections it still has.</summary>
    public async Task DropDatabaseAsync(string database)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString(database)))
        {
            NpgsqlConnection.ClearPool(connection);
        }
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    /// <summary>
    /// Ends the sessions of <paramref name="database"/> whose <c>application_name</c> is <paramref name="applicationName"/>,
    /// as a network cut or a server restart would (<c>pg_terminate_backend</c>); returns how many were ended.
    /// </summary>
    public async Task<int> TerminateSessionsAsync(string database, string applicationName)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @db AND application_name = @app) ended",
            connection);
        command.Parameters.AddWithValue("db", database);
        command.Parameters.AddWithValue("app", applicationName);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Makes a fresh cluster and starts it; throws with PostgreSQL's own output when that fails.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        ExternalServers.Starting("PostgreSQL");
        var bin = FindBinFolder();
        await StopAbandonedClustersAsync(bin);
        var root = TempFolder.Create("emailsettings-pg");
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var server = new PostgresServer(bin, root, FreePort.Next());
        try
        {
            await server.InitAndStartAsync();
            return server;
        }
        catch
        {
            server.Stop();
            throw;
        }
    }

    private async Task InitAndStartAsync()
    {
        if (IsRoot)
        {
            // PostgreSQL refuses to run as root: the postgres user makes and owns everything under the root folder.
            await RunAsync("chown", [SuperUser, Root], asPostgres: false);
        }
        await RunAsync(Path.Combine(binFolder, "initdb"),
            ["-D", DataFolder, "-A", "trust", "-U", SuperUser, "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]);
        await RunAsync("mkdir", [SocketFolder]);
        AppDomain.CurrentDomain.ProcessExit += processExitHandler;
        // Durability settings off: a test cluster lives for one run, and fsync per commit would dominate its time.
        string[] durability = Durable ? [] : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"];
        var options = string.Join(" ", [
            $"-p {Port.ToString(CultureInfo.InvariantCulture)}", $"-k {SocketFolder}", "-c listen_addresses=127.0.0.1",
            .. durability, "-c max_connections=200"]);
        await RunAsync(Path.Combine(binFolder, "pg_ctl"), ["-D", DataFolder, "-l", LogPath, "-o", options, "-w", "-t", "60", "start"]);
    }

    /// <summary>
    /// Removes clusters of earlier runs: those whose server is no longer running, and those whose test process is gone
    /// (its pid is in <see cref="OwnerFile"/>) but whose server still runs, which are stopped first. The test host may
    /// end the process before its exit handler has stopped the server; without this every run would leave one behind.
    /// </summary>
    private static async Task StopAbandonedClustersAsync(string binFolder)
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "emailsettings-pg-*"))
        {
            var running = File.Exists(Path.Combine(folder, "data", "postmaster.pid"));
            var owner = File.Exists(Path.Combine(folder, OwnerFile)) && int.TryParse(File.ReadAllText(Path.Combine(folder, OwnerFile)), out var pid) ? pid : (int?)null;
            if (running && owner is { } ownerPid && !IsAlive(ownerPid))
            {
                var abandoned = new PostgresServer(binFolder, folder, 0);
                try
                {
                    await abandoned.RunAsync(Path.Combine(binFolder, "pg_ctl"), ["-D", abandoned.DataFolder, "-m", "immediate", "-w", "stop"]);
                    running = false;
                }
                catch (InvalidOperationException)
                {
                    // Not ours to stop after all (another user's, or already stopping): leave it.
                }
            }
            if (!running && (owner is not null || Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddMinutes(-10)))
            {
                TempFolder.Delete(folder);
            }
        }
    }

    /// <summary>The file in a cluster's root folder holding the pid of the test process that started it.</summary>
    private const string OwnerFile = "owner.pid";

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The newest Debian PostgreSQL under /usr/lib/postgresql/&lt;version&gt;/bin.</summary>
    private static string FindBinFolder()
    {
        const string parent = "/usr/lib/postgresql";
        var bin = Directory.Exists(parent)
            ? Directory.GetDirectories(parent)
                .Select(d => (Folder: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => File.Exists(Path.Combine(x.Folder, "initdb")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Folder)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            $"PostgreSQL is missing (no {parent}/<version>/bin/initdb): install it with `apt-get install postgresql` (test.sh does this).");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres = true)
    {
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The postgres user cannot enter root's working folder.
            WorkingDirectory = Root,
        };
        if (asPostgres && IsRoot)
        {
            psi.FileName = "runuser";
            foreach (var argument in (string[])["-u", SuperUser, "--", program])
            {
                psi.ArgumentList.Add(argument);
            }
        }
        else
        {
            psi.FileName = program;
        }
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {program}.");
        // pg_ctl start leaves the server holding our pipes: read them to the end only for other commands.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within {CommandTimeout}.");
        }
        if (process.ExitCode != 0)
        {
            var log = File.Exists(LogPath) ? await File.ReadAllTextAsync(LogPath) : "";
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {await Completed(error)} {await Completed(output)} {log}");
        }
    }

    private static async Task<string> Completed(Task<string> read) =>
        await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1))) == read ? await read : "";

    private void Stop()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= processExitHandler;
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
        {
            try
            {
                // Immediate: the cluster is thrown away, so there is nothing to flush.
                RunAsync(Path.Combine(binFolder, "pg_ctl"), ["-D", DataFolder, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException)
            {
                // Best effort: the folder goes anyway, and a server without its folder stops by itself.
            }
        }
        TempFolder.Delete(Root);
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
