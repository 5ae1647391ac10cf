using JasperFx;
using JasperFx.Events;
using Marten;
using Weasel.Core;
using JasperFx.Events.Projections;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;
using Wolverine.Marten;

namespace RelationsLedger.Platform;

public static class LedgerStore
{
    /// <summary>The event table's index by writer and sequence (<see cref="EventTableIndex"/>).</summary>
    public const string WriterIndex = "idx_mt_events_writer_seq_id";

    /// <summary>Marten: one string-keyed stream per pair, every catalog type registered, the connection read when the store is built.</summary>
    public static IServiceCollection AddLedgerStore(this IServiceCollection services)
    {
        services.AddSingleton<LedgerDatabase>();
        services.AddSingleton<Relations.Replaying.ReadReplica>();
        services.AddSingleton(sp => Relations.Replaying.HistoryCache.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<Relations.Replaying.SearchMatches>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerDatabase>());
        services.AddSingleton<Relations.Recording.WriterConnections>();
        services.AddSingleton<Relations.Recording.StreamWriter>();
        services.AddSingleton<BackgroundWork>();
        services.AddSingleton<Relations.Recording.Appending>();
        services.AddMarten(sp =>
            {
                var options = Configure(new StoreOptions(), sp.GetRequiredService<LedgerDatabase>().ConnectionString, sp.GetRequiredService<Relations.Replaying.HistoryCache>(),
                    sp.GetRequiredService<BackgroundWork>());
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                return options;
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup()
            // async projections run on exactly one node of the cluster, assigned (and failed over) by Wolverine
            .IntegrateWithWolverine(m => m.UseWolverineManagedEventSubscriptionDistribution = true);
        return services;
    }

    /// <summary>The store's shape: schema, serializer, event types, projections and indexes (shared with the benchmarks' baselines).</summary>
    /// <param name="histories">the checkpointed histories the summary projection extends (the app's, shared with its reads)</param>
    /// <param name="work">where the summary projection counts the events it applies (for <see cref="IdleTrim"/>)</param>
    public static StoreOptions Configure(StoreOptions options, string connectionString, Relations.Replaying.HistoryCache? histories = null, BackgroundWork? work = null)
    {
        options.Connection(Tuned(connectionString));
        options.DatabaseSchemaName = "ledger";
        options.Serializer(new LedgerSerializer());
        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.UseAdvisoryLockTransaction = true;
        // event ids are looked up for idempotency and provenance, and must be unique across pairs
        options.Events.EnableUniqueIndexOnEventId = true;
        // the log filtered by type (a reviewer's "every correction and retraction") reads that type's rows in sequence
        // order instead of walking the whole log for the few that match
        options.Events.EnableEventTypeIndex = true;
        // the log filtered by who recorded it (a reviewer's "what did this key record") likewise reads that writer's rows
        // in sequence order: a rare writer's page walked the whole log (a page of none at 200,000 events: 104 → 1.2 ms).
        // Not the import verb's rows: its writer is dense wherever it wrote, and an index of every row costs a bulk
        // write's event rows a fifth more of PostgreSQL's time, this one 2–3 %. Marten's migration of its event table
        // would drop an index it was not told to leave alone
        options.Events.IgnoreIndex(WriterIndex);
        options.Storage.Add(new EventTableIndexes(options, new EventTableIndex(options.DatabaseSchemaName, WriterIndex,
            $"({Relations.EventRows.WriterColumn}), seq_id", $"({Relations.EventRows.WriterColumn}) <> '{Relations.Importing.Importer.Writer}'")));
        // appends go through Relations.Recording.StreamWriter; Marten's own appender is left at Rich for any other writer
        options.Events.AppendMode = EventAppendMode.Rich;
        options.Events.MetadataConfig.HeadersEnabled = true;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.AddEventTypes(EventCatalog.All.Select(t => t.ClrType));
        options.Projections.Add(new TimelineProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new RelationshipSummaryProjection(histories ?? new Relations.Replaying.HistoryCache(), work), ProjectionLifecycle.Async,
            asyncConfiguration: o => o.BatchSize = 2_000);
        // the timeline's one query: a pair's rows in (effective, sequence) order from a date — one index serves it.
        // Its keys are columns beside the row's JSON, not expressions on it: an expression index on a DateOnly goes
        // through Marten's mt_immutable_date SQL function, which PostgreSQL plans afresh in every insert statement (a
        // single append's row insert took 0.14 ms of PostgreSQL's time, with the columns 0.05 ms). Nullable, so that
        // Marten can add them to an existing table, filling them from the JSON
        options.Schema.For<TimelineEntry>();
        options.Policies.ForAllDocuments(mapping =>
        {
            if (mapping.DocumentType == typeof(RelationshipSummary))
                foreach (var member in RelationshipSummary.Columns) mapping.DuplicateField(member);
            if (mapping.DocumentType != typeof(TimelineEntry)) return;
            foreach (var member in TimelineEntry.Columns) mapping.DuplicateField(member);
            mapping.AddIndex([.. TimelineEntry.Columns.Select(c => c.ToLowerInvariant())]);
        });
        options.Schema.For<RelationshipSummary>();
        return options;
    }

    /// <summary>Connection settings for the ledger's traffic, each left alone when the connection string sets it.
    /// <list type="bullet">
    /// <item>The ledger sends the same few statements over and over: Npgsql prepares them on the server after two uses,
    /// so PostgreSQL parses and plans each once per connection, not per call (a third of its CPU per append before).
    /// Set <c>Max Auto Prepare=0</c> behind a transaction-pooling PgBouncer.</item>
    /// <item>No reset on close: with prepared statements Npgsql otherwise prepends seven reset statements (RESET ALL,
    /// CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD SEQUENCES, DISCARD TEMP, …) to the next command of
    /// every connection taken from the pool — per request. The ledger keeps no session state: its writes are single
    /// transactions (Npgsql rolls an open one back when the connection returns, reset or not), Marten's daemon takes
    /// transaction-scoped advisory locks, and Wolverine unlocks its leadership lock before closing that connection.
    /// As-of read p50 at 100,000 events 4.5 → 3.2 ms, at 1,000 events 1.3 → 0.7 ms.</item>
    /// </list></summary>
    public static string Tuned(string connectionString)
    {
        bool Sets(params string[] keywords) => LedgerStore.Sets(connectionString, keywords);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets("Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
            if (!Sets("Auto Prepare Min Usages", "AutoPrepareMinUsages")) builder.AutoPrepareMinUsages = 2;
        }
        if (!Sets("No Reset On Close", "NoResetOnClose")) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    /// <summary>Whether the connection string itself sets one of these keywords (its spellings). Npgsql's typed builder
    /// answers ContainsKey for every keyword it knows, set or not: a plain builder is asked.</summary>
    public static bool Sets(string connectionString, params string[] keywords) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString } is var given && keywords.Any(given.ContainsKey);
}
