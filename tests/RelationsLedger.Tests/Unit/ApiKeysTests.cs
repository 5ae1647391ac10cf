using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Tests.Unit;

/// <summary>Which configured keys are taken: a key's name becomes its events' writer, so it must be a name the ledger
/// can also export, restore and filter by; a value must be a SHA-256 hash.</summary>
public sealed class ApiKeysTests
{
    private sealed class Warnings : ILogger<ApiKeys>
    {
        public readonly List<string> Said = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Said.Add(formatter(state, exception));
    }

    private static (ApiKeys Keys, Warnings Warnings) Configured(IEnumerable<(string Name, string Key)> keys, string? hashOverride = null)
    {
        var settings = keys.ToDictionary(k => $"Ledger:ApiKeys:{k.Name}", k => (string?)(hashOverride ?? Convert.ToHexString(ApiKeys.Hash(k.Key))));
        settings["Ledger:DataDirectory"] = Path.Combine(Path.GetTempPath(), $"keys-{Guid.NewGuid():N}");
        var warnings = new Warnings();
        return (new ApiKeys(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), warnings), warnings);
    }

    [Fact]
    public void a_key_whose_name_the_ledger_could_not_restore_or_filter_by_is_ignored_with_a_warning()
    {
        var longest = new string('n', Stamp.MaxWriter);
        var (keys, warnings) = Configured([("newsroom", "k1"), (longest, "k2"), (longest + "n", "k3"), ("tab\tname", "k4"), (" ", "k5")]);
        Assert.Equal("newsroom", keys.NameOf("k1"));
        Assert.Equal(longest, keys.NameOf("k2"));
        Assert.Null(keys.NameOf("k3"));
        Assert.Null(keys.NameOf("k4"));
        Assert.Null(keys.NameOf("k5"));
        Assert.Equal(3, warnings.Said.Count(w => w.Contains("must be " + Stamp.WriterRule)));
    }

    [Fact]
    public void a_value_that_is_not_a_sha256_hex_hash_is_ignored_with_a_warning_not_a_crash()
    {
        var (keys, warnings) = Configured([("typo", "k1")], hashOverride: new string('g', 64));
        Assert.Null(keys.NameOf("k1"));
        Assert.Contains(warnings.Said, w => w.Contains("Ledger:ApiKeys:typo is not a SHA-256 hex hash"));
    }

    [Fact]
    public void a_damaged_key_file_is_replaced_by_a_new_key_and_said_so()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"keys-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "api-key.sha256");
        File.WriteAllText(file, "not a hash");
        try
        {
            var warnings = new Warnings();
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ledger:DataDirectory"] = folder }).Build();
            var keys = new ApiKeys(config, warnings);
            Assert.Contains(warnings.Said, w => w.Contains("does not hold a SHA-256 hex hash"));
            var key = warnings.Said.Select(w => w.Split("X-Api-Key: ")).Single(p => p.Length == 2)[1];
            Assert.Equal("generated", keys.NameOf(key));
            Assert.Equal(Convert.ToHexString(ApiKeys.Hash(key)), File.ReadAllText(file));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
