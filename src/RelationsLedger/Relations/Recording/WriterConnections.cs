using Npgsql;
using RelationsLedger.Platform;

namespace RelationsLedger.Relations.Recording;

/// <summary>The connections <see cref="StreamWriter"/> writes through. Each of its transactions moves its streams'
/// versions before it inserts their events, which locks those rows until the commit, and the ledger never deletes a
/// stream's row; so Marten's foreign key from every event to its stream cannot find a missing row, yet checking it is
/// a query and a row lock per event — half of PostgreSQL's work on an imported event. When the database role may set
/// <c>session_replication_role</c> (a superuser, as the embedded cluster's and the Docker image's roles are, or a role
/// granted <c>SET</c> on it), the writer's sessions run as <c>replica</c>, which leaves the key's check out, as
/// <c>pg_restore --disable-triggers</c> and logical replication do; the key stays, and binds every other writer.
/// Otherwise (<c>Ledger:Writer:SkipStreamKeyCheck=false</c>, a connection string that sets the parameter itself, a
/// role that may not, a pooler that refuses or drops the setting) they are Marten's own. Set when a connection opens:
/// changing it inside a session would discard every prepared statement's plan, and a SET on a pooled server
/// connection would outlive the transaction behind a transaction pooler.</summary>
public sealed class WriterConnections(LedgerDatabase database, Marten.IDocumentStore store, IConfiguration configuration, ILogger<WriterConnections> logger)
    : IAsyncDisposable
{
    // the writer holds few connections at once (two transactions in flight, a bulk write per import worker or batch request)
    private const int MaxPoolSize = 20;

    private readonly Lock _gate = new();
    private Task<NpgsqlDataSource?>? _choice;
    private NpgsqlDataSource? _replica;

    /// <summary>Whether the writer's sessions leave the foreign key's check out (known once one has opened).</summary>
    public bool SkipsKeyCheck => Volatile.Read(ref _replica) is not null;

    public async Task<NpgsqlConnection> OpenAsync()
    {
        if (await ChoiceAsync() is { } replica)
        {
            try { return await replica.OpenConnectionAsync(); }
            // the role's right taken away since: its new sessions are refused, the writer carries on with the check
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                logger.LogWarning("The database role may no longer set session_replication_role: writes check Marten's foreign key from now on");
                lock (_gate) (_choice, _replica) = (Task.FromResult<NpgsqlDataSource?>(null), null);
                // its pooled sessions still run as replica: closed with it
                await replica.DisposeAsync();
            }
        }
        return await OpenCheckedAsync();
    }

    /// <summary>Whether <paramref name="failure"/> ended the session itself, from the server's side or the network's (a
    /// restart, a terminated backend, a dropped socket): what went over it before the failure was rolled back or
    /// committed whole, and its pool's other idle sessions are suspect too (Npgsql clears the pool).</summary>
    public static bool Severed(Exception failure) => failure switch
    {
        PostgresException e => e.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown || e.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException } => true,
        _ => false,
    };

    /// <summary>One of Marten's own sessions, where the foreign key is checked.</summary>
    public async Task<NpgsqlConnection> OpenCheckedAsync()
    {
        var connection = store.Storage.Database.CreateConnection();
        try { await connection.OpenAsync(); }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return connection;
    }

    /// <summary>The replica sessions' pool, or null for Marten's; one probe at a time, made again after a failure.</summary>
    private Task<NpgsqlDataSource?> ChoiceAsync()
    {
        lock (_gate)
        {
            if (_choice is { IsFaulted: false } choice) return choice;
            return _choice = ChooseAsync();
        }
    }

    private async Task<NpgsqlDataSource?> ChooseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(LedgerStore.Tuned(database.ConnectionString));
        var setsItself = builder.Options?.Contains("session_replication_role") == true;
        if (setsItself || !configuration.GetValue("Ledger:Writer:SkipStreamKeyCheck", true))
        {
            logger.LogInformation("The writer's sessions check Marten's foreign key on every event: {Why}",
                setsItself ? "the connection string sets session_replication_role itself" : "Ledger:Writer:SkipStreamKeyCheck is false");
            return null;
        }
        builder.Options = $"{builder.Options} -c session_replication_role=replica".TrimStart();
        if (!LedgerStore.Sets(database.ConnectionString, "Max Pool Size", "MaxPoolSize")) builder.MaxPoolSize = MaxPoolSize;
        var replica = NpgsqlDataSource.Create(builder);
        string why;
        try
        {
            await using var connection = await replica.OpenConnectionAsync();
            await using var show = new NpgsqlCommand("select current_setting('session_replication_role')", connection);
            if (await show.ExecuteScalarAsync() is "replica")
            {
                logger.LogInformation("The writer's sessions run as session_replication_role = replica: Marten's foreign key from each event to its stream, whose row the writer has locked, is not checked again");
                Volatile.Write(ref _replica, replica);
                return replica;
            }
            why = "a connection pooler dropped the setting";
        }
        catch (Exception e)
        {
            await replica.DisposeAsync();
            // refused while Marten's own sessions open (no right, or a pooler that takes no startup options): the check
            // stays; otherwise the database is unreachable or starting, the write fails, and the next one probes again
            if (e is not PostgresException refused || !await MartenOpensAsync()) throw;
            why = refused.MessageText;
        }
        // a second dispose (after the catch's) does nothing
        await replica.DisposeAsync();
        logger.LogInformation("The writer's sessions check Marten's foreign key on every event: session_replication_role = replica was refused ({Why})", why);
        return null;
    }

    private async Task<bool> MartenOpensAsync()
    {
        try
        {
            await using var connection = await OpenCheckedAsync();
            return true;
        }
        catch (Exception) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _replica) is { } replica) await replica.DisposeAsync();
    }
}
