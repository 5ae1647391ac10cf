using Npgsql;
using RelationsLedger.Platform;

namespace RelationsLedger.Tests.Unit;

/// <summary>The ledger's connection settings apply unless the operator's connection string sets them.</summary>
public sealed class ConnectionTests
{
    private static NpgsqlConnectionStringBuilder Tuned(string connectionString) => new(LedgerStore.Tuned(connectionString));

    [Fact]
    public void a_plain_connection_string_gets_prepared_statements_and_no_reset_on_close()
    {
        var tuned = Tuned("Host=db;Database=ledger;Username=ledger");
        Assert.Equal((64, 2, true), (tuned.MaxAutoPrepare, tuned.AutoPrepareMinUsages, tuned.NoResetOnClose));
        Assert.Equal(("db", "ledger"), (tuned.Host, tuned.Database));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;noresetonclose=false")]
    public void settings_the_connection_string_gives_are_kept(string connectionString)
    {
        var tuned = Tuned(connectionString);
        Assert.Equal((0, false), (tuned.MaxAutoPrepare, tuned.NoResetOnClose));
    }
}
