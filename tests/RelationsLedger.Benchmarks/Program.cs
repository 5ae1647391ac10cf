using RelationsLedger.Benchmarks;
using RelationsLedger.Platform;

// dotnet run -c Release --project tests/RelationsLedger.Benchmarks [-- --quick] [--only=...]   (HTTP load and database work)
// dotnet run -c Release --project tests/RelationsLedger.Benchmarks -- --micro[=AsOf,Extend,Validation,Screening] [--quick]   (BenchmarkDotNet)
// The app runs as it is deployed (published ReadyToRun, as the Dockerfile does); the baselines run in this process
// against the same PostgreSQL (fsync on).
var quick = args.Contains("--quick");
if (args.FirstOrDefault(a => a == "--micro" || a.StartsWith("--micro=")) is { } micro)
{
    RelationsLedger.Benchmarks.Micro.MicroBenchmarks.Run(quick, micro.Contains('=') ? micro[(micro.IndexOf('=') + 1)..].Split(',') : []);
    return 0;
}
// --write-import=FILE writes the import verb's file and exits (to time or profile the verb on its own)
if (args.FirstOrDefault(a => a.StartsWith("--write-import="))?["--write-import=".Length..] is { } importFile)
{
    await File.WriteAllLinesAsync(importFile, Scenarios.ImportLines(quick ? Sizes.Quick : Sizes.Full));
    Console.WriteLine($"wrote {importFile}");
    return 0;
}
// --only=append,import,batch,asof runs a subset (cold start and memory are always reported)
var only = args.FirstOrDefault(a => a.StartsWith("--only="))?["--only=".Length..].Split(',').ToHashSet() ?? [];
var sizes = quick ? Sizes.Quick : Sizes.Full;
var appDll = await DeployedApp.PublishAsync();

var configured = Environment.GetEnvironmentVariable("ConnectionStrings__Ledger");
LocalPostgres? cluster = null;
if (string.IsNullOrWhiteSpace(configured))
    cluster = await LocalPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"relationsledger-bench-{Guid.NewGuid():N}"), throwaway: true, durable: true);
try
{
    var scenarios = new Scenarios(configured ?? cluster!.ConnectionString, sizes, appDll, only);
    await scenarios.RunAsync();
    var machine = $"{Environment.ProcessorCount} cores, {File.ReadAllLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim() ?? "unknown CPU"}, " +
                  $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, PostgreSQL 15 fsync on, {(quick ? "quick" : "full")} mode";
    Report.Print(scenarios.Figures, machine);
    return 0;
}
finally
{
    if (cluster is not null) await cluster.DisposeAsync();
}
