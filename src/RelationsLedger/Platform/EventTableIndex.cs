using System.Data.Common;
using Weasel.Core;
using Weasel.Core.Migrations;

namespace RelationsLedger.Platform;

/// <summary>Indexes of our own on Marten's event table, which Marten's options cannot declare: a storage feature of
/// their own, which Marten applies after its event tables (its extended schema objects come before them).</summary>
public sealed class EventTableIndexes(Marten.StoreOptions options, params EventTableIndex[] indexes) : FeatureSchemaBase("ledger-event-indexes", options.Advanced.Migrator)
{
    protected override IEnumerable<ISchemaObject> schemaObjects() => indexes;
}

/// <summary>An index on Marten's event table (of the rows <paramref name="where"/> holds for, when given): created with
/// the schema when missing, left alone when there. Its columns are fixed by its name: changing them means a new name.</summary>
public sealed class EventTableIndex(string schema, string name, string columns, string? where = null) : ISchemaObject
{
    public DbObjectName Identifier { get; } = new Weasel.Postgresql.PostgresqlObjectName(schema, name, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General);

    public void WriteCreateStatement(Migrator migrator, TextWriter writer) =>
        writer.WriteLine($"create index if not exists {name} on {schema}.mt_events ({columns}){(where is null ? "" : $" where {where}")};");

    public void WriteDropStatement(Migrator rules, TextWriter writer) => writer.WriteLine($"drop index if exists {schema}.{name};");

    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder)
    {
        var (schemaParameter, nameParameter) = (builder.AddParameter(schema), builder.AddParameter(name));
        builder.Append($"select count(*) from pg_indexes where schemaname = :{schemaParameter.ParameterName} and indexname = :{nameParameter.ParameterName};");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct)
    {
        var exists = await reader.ReadAsync(ct) && reader.GetInt64(0) > 0;
        return new SchemaObjectDelta(this, exists ? SchemaPatchDifference.None : SchemaPatchDifference.Create);
    }

    public IEnumerable<DbObjectName> AllNames() => [Identifier];
}
