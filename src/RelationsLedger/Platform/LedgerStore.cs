using JasperFx;
using JasperFx.Events;
using Marten;
using RelationsLedger.Relations;
using Wolverine.Marten;

namespace RelationsLedger.Platform;

public static class LedgerStore
{
    /// <summary>Marten: one string-keyed stream per pair, every catalog type registered, the connection read when the store is built.</summary>
    public static IServiceCollection AddLedgerStore(this IServiceCollection services)
    {
        services.AddSingleton<LedgerDatabase>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerDatabase>());
        services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                options.Connection(sp.GetRequiredService<LedgerDatabase>().ConnectionString);
                options.DatabaseSchemaName = "ledger";
                options.UseSystemTextJsonForSerialization(configure: json => LedgerJson.Configure(json));
                options.Events.StreamIdentity = StreamIdentity.AsString;
                options.Events.UseAdvisoryLockTransaction = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.AddEventTypes(EventCatalog.All.Select(t => t.ClrType));
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                return options;
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup()
            .IntegrateWithWolverine();
        return services;
    }
}
