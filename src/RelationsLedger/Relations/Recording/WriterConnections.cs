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
/// Otherwise they are Marten's own. Set when a connection opens: changing it inside a session would discard every
/// prepared statement's plan.</summary>
public sealed class WriterConnections(LedgerDatabase database, Marten.IDocumentStore store, ILogger<WriterConnections> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlDataSource? _replica;
    private bool _chosen;

    /// <summary>Whether the writer's sessions leave the foreign key's check out (known once one has opened).</summary>
    public bool SkipsKeyCheck => _replica is not null;

    public async Task<NpgsqlConnection> OpenAsync()
    {
        if (!_chosen) await ChooseAsync();
        if (_replica is { } replica) return await replica.OpenConnectionAsync();
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        return connection;
    }

    private async Task ChooseAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_chosen) return;
            var builder = new NpgsqlConnectionStringBuilder(LedgerStore.Tuned(database.ConnectionString));
            builder.Options = $"{builder.Options} -c session_replication_role=replica".TrimStart();
            var replica = NpgsqlDataSource.Create(builder);
            try
            {
                await using (await replica.OpenConnectionAsync()) { }
                _replica = replica;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                await replica.DisposeAsync();
                logger.LogInformation("The database role may not set session_replication_role: writes check Marten's foreign key on every event");
            }
            catch
            {
                // the database unreachable: the write fails, and the next one chooses again
                await replica.DisposeAsync();
                throw;
            }
            _chosen = true;
        }
        finally { _gate.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (_replica is { } replica) await replica.DisposeAsync();
    }
}
