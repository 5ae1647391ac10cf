using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace RelationsLedger.Platform;

/// <summary>
/// A private PostgreSQL cluster run from the server binaries installed on this machine: the app's
/// embedded default when no connection string is configured, and the test suite's last fallback.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private const string ClusterUser = "postgres";
    private readonly string _root;
    private readonly bool _throwaway;
    private readonly string _binaries;
    private readonly string? _runAs;
    private bool _durable;
    private bool _borrowed;

    private LocalPostgres(string root, bool throwaway, string binaries, string? runAs)
    {
        _root = root;
        _throwaway = throwaway;
        _binaries = binaries;
        _runAs = runAs;
    }

    public string DataDirectory => Path.Combine(_root, "pgdata");
    public int Port { get; private set; }
    public string ConnectionString { get; private set; } = "";

    /// <summary>Starts (creating on first use) the cluster under <paramref name="root"/>.</summary>
    /// <param name="throwaway">for tests: fsync off, and the folder is deleted on dispose.</param>
    /// <param name="durable">fsync stays on (the default unless throwaway): benchmarks need it even on a throwaway cluster.</param>
    public static async Task<LocalPostgres> StartAsync(string root, bool throwaway = false, string database = "ledger", string? binDirectory = null, bool? durable = null)
    {
        var binaries = FindBinaries(binDirectory) ?? throw new InvalidOperationException(NoBinaries);
        var runAs = Environment.UserName == "root" || geteuid() == 0 ? UnprivilegedUser() : null;
        var cluster = new LocalPostgres(Path.GetFullPath(root), throwaway, binaries, runAs) { _durable = durable ?? !throwaway };
        await cluster.StartAsync(database);
        return cluster;
    }

    private const string NoBinaries =
        "RelationsLedger needs PostgreSQL: no ConnectionStrings:Ledger is configured and no PostgreSQL server binaries were found " +
        "(initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin). Install them (Debian/Ubuntu: `sudo apt-get install postgresql`), " +
        "set ConnectionStrings__Ledger to a server you have, or run `docker-compose up`.";

    /// <summary>True, having written the one message to exit with on standard error, when the embedded default is
    /// needed and cannot start (no connection string, no server binaries).</summary>
    public static bool ReportedMissing(IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString("Ledger")) || FindBinaries(configuration["Ledger:PostgresBinaries"]) is not null) return false;
        Console.Error.WriteLine(NoBinaries);
        return true;
    }

    /// <summary>The default data directory: under the user's local application data (root: /var/lib, which the cluster user can reach).</summary>
    public static string DefaultRoot() => geteuid() == 0
        ? "/var/lib/relationsledger"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "RelationsLedger");

    private async Task StartAsync(string database)
    {
        Directory.CreateDirectory(_root);
        var passwordFile = Path.Combine(_root, "password");
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
            await File.WriteAllTextAsync(passwordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.CreateDirectory(DataDirectory);
            var initPassword = Path.Combine(_root, "initdb-password");
            File.Copy(passwordFile, initPassword, overwrite: true);
            HandToClusterUser(DataDirectory, initPassword);
            try
            {
                await RunAsync("initdb", $"-D \"{DataDirectory}\" -U {ClusterUser} -E UTF8 --locale=C --auth-local=scram-sha-256 --auth-host=scram-sha-256 --pwfile=\"{initPassword}\"");
            }
            finally { File.Delete(initPassword); }
        }
        var password = (await File.ReadAllTextAsync(passwordFile)).Trim();

        // the same port as last time when it is free, so clients (and a restarted cluster) find it again
        var portFile = Path.Combine(_root, "port");
        var running = RunningPort();
        Port = running ?? (File.Exists(portFile) && int.TryParse(File.ReadAllText(portFile), out var last) && IsFree(last) ? last : FreePort());
        await File.WriteAllTextAsync(portFile, Port.ToString());
        // a server another live process started (the app, beside which a verb runs) is that process's to stop;
        // one whose starter is gone (it was killed) becomes this process's
        var ownerFile = Path.Combine(_root, "owner");
        _borrowed = running is not null && OwnerAlive(ownerFile);
        if (!_borrowed) await File.WriteAllTextAsync(ownerFile, ProcessMark(Environment.ProcessId));
        if (running is null)
        {
            var durability = _durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            var log = Path.Combine(DataDirectory, "server.log");
            await RunAsync("pg_ctl", $"-D \"{DataDirectory}\" -l \"{log}\" -w -t 60 -o \"-c port={Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{DataDirectory}' -c max_connections=200{durability}\" start");
        }

        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = ClusterUser, Password = password, Database = "postgres", Pooling = false
        };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection);
            exists.Parameters.AddWithValue("name", database);
            if (await exists.ExecuteScalarAsync() is null)
            {
                await using var create = new NpgsqlCommand($"create database \"{database}\"", connection);
                await create.ExecuteNonQueryAsync();
            }
        }
        admin.Database = database;
        admin.Pooling = true;
        ConnectionString = admin.ConnectionString;
    }

    /// <summary>The port of a server already running on this data directory (a previous run that did not stop).</summary>
    private int? RunningPort() => Running()?.Port;

    /// <summary>The server running on this data directory, by its <c>postmaster.pid</c>: its process and port.</summary>
    private (int Pid, int Port)? Running()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port)) return null;
        try { return Process.GetProcessById(pid).HasExited ? null : (pid, port); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>Whether the server was already running, started by another live process, which stops it.</summary>
    public bool Borrowed => _borrowed;

    /// <summary>Stops the server, unless it is <see cref="Borrowed"/>.</summary>
    public async Task StopAsync()
    {
        if (_borrowed || !Directory.Exists(DataDirectory) || RunningPort() is null) return;
        await RunAsync("pg_ctl", $"-D \"{DataDirectory}\" -m fast -w -t 60 stop");
    }

    /// <summary>Asks the server for PostgreSQL's fast shutdown (SIGINT to the postmaster), unless it is
    /// <see cref="Borrowed"/>, and returns at once: it rolls back what is open and stops in the background.</summary>
    public void StopAfterExit()
    {
        if (!_borrowed && Running() is { } server) kill(server.Pid, 2);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!_throwaway) return;
        // a stopped server's last files may still be going away as the folder is walked: a few tries, then the error
        for (var attempt = 1; Directory.Exists(_root); attempt++)
        {
            try { Directory.Delete(_root, recursive: true); }
            catch (IOException) when (attempt < 5) { await Task.Delay(200 * attempt); }
        }
    }

    /// <summary>A process by its id and start time (clock ticks after boot, from /proc), so that a reused id is not
    /// taken for the process that wrote it.</summary>
    private static string ProcessMark(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return $"{pid} {stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]}";
    }

    private static bool OwnerAlive(string ownerFile)
    {
        var mark = File.Exists(ownerFile) ? File.ReadAllText(ownerFile).Trim() : "";
        if (!int.TryParse(mark.Split(' ')[0], out var pid) || pid == Environment.ProcessId) return false;
        try { return ProcessMark(pid) == mark; }
        catch (IOException) { return false; }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The configured folder only, if one is given; else PATH, then the newest /usr/lib/postgresql/*/bin.</summary>
    private static string? FindBinaries(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(Path.Combine(configured, "initdb")) && File.Exists(Path.Combine(configured, "pg_ctl")) ? configured : null;
        var fromPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            .Select(dir => Path.GetDirectoryName(Path.GetFullPath(ResolveLink(Path.Combine(dir, "pg_ctl"))))!);
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                .OrderByDescending(x => x.version).Select(x => Path.Combine(x.dir, "bin"))
            : [];
        return fromPath.Concat(installed).FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres")));
    }

    private static string ResolveLink(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    /// <summary>initdb refuses to run as root: the cluster belongs to an ordinary account.</summary>
    private static string UnprivilegedUser()
    {
        var users = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet() : [];
        if (users.Contains("postgres")) return "postgres";
        if (users.Contains("nobody")) return "nobody";
        throw new InvalidOperationException("Running as root, and neither a 'postgres' nor a 'nobody' account exists to own the database cluster.");
    }

    private void HandToClusterUser(params string[] paths)
    {
        if (_runAs is null) return;
        foreach (var path in paths) RunTool("chown", $"-R {_runAs} \"{path}\"");
        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // the cluster user must be able to reach its folder
        File.SetUnixFileMode(_root, File.GetUnixFileMode(_root) | UnixFileMode.OtherExecute);
    }

    private async Task RunAsync(string tool, string arguments)
    {
        var executable = Path.Combine(_binaries, tool);
        var (file, args) = _runAs is null ? (executable, arguments) : ("runuser", $"-u {_runAs} -- \"{executable}\" {arguments}");
        var (exit, output) = await Execute(file, args);
        if (exit != 0) throw new InvalidOperationException($"{tool} failed ({exit}): {output}");
    }

    private static void RunTool(string file, string arguments)
    {
        var (exit, output) = Execute(file, arguments).GetAwaiter().GetResult();
        if (exit != 0) throw new InvalidOperationException($"{file} failed ({exit}): {output}");
    }

    private static async Task<(int, string)> Execute(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/"
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int signal);
}
