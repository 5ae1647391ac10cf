using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Importing;

namespace RelationsLedger.Seeding;

/// <summary>The project's own data files (seeds/*.ndjson), loaded idempotently: a second load adds nothing.</summary>
public sealed class Seeds(Appending appending, IConfiguration configuration, TimeProvider clock, ILogger<Seeds> logger)
{
    // the session advisory lock the nodes seed under (any number no other part of the ledger, Marten or Wolverine takes)
    public const long Lock = 0x5EED_5EED;

    public string Directory => configuration["Ledger:SeedsDirectory"] ?? Path.Combine(AppContext.BaseDirectory, "seeds");

    public async Task<ImportResult> LoadAsync(CancellationToken ct = default)
    {
        var files = System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*.ndjson").Order(StringComparer.Ordinal).ToList() : [];
        var total = new ImportResult(0, 0, new());
        if (files.Count == 0) return total;
        // nodes started together on an empty database seed one after the other: the second finds every line present,
        // where both appending at once left the loser's sequences as tombstones (a ledger beginning at 155, not 78)
        await using var connection = appending.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await Relations.EventRows.ExecuteAsync(connection, $"select pg_advisory_lock({Lock})", ct);
        try
        {
            foreach (var file in files)
            {
                var result = await Importer.ImportAsync(appending, Importer.ReadLines(file).ToList(), clock.Today(), ct: ct, writer: $"seed:{Path.GetFileName(file)}");
                total.Problems.AddAll(result.Problems, $"{Path.GetFileName(file)} ");
                total = total with { Appended = total.Appended + result.Appended, AlreadyPresent = total.AlreadyPresent + result.AlreadyPresent };
            }
        }
        // a pooled connection is not reset when it goes back (LedgerStore.Tuned): the session's lock is let go here
        finally { await Relations.EventRows.ExecuteAsync(connection, $"select pg_advisory_unlock({Lock})", CancellationToken.None); }
        logger.LogInformation("Seeds from {Directory}: {Appended} events appended, {Present} already present", Directory, total.Appended, total.AlreadyPresent);
        foreach (var (field, messages) in total.Problems) logger.LogError("Seed {Field}: {Messages}", field, string.Join(" ", messages));
        return total;
    }
}

/// <summary>Loads the seeds when the app starts, if <c>Ledger:SeedOnStart</c> (default true).</summary>
public sealed class SeedOnStart(Seeds seeds, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Ledger:SeedOnStart", true)) await seeds.LoadAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
