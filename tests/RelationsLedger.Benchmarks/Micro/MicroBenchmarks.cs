using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RelationsLedger.Benchmarks.Micro;

/// <summary>BenchmarkDotNet, in process (no generated project to build); each class has its baseline method, so the
/// summary's Ratio column is the project's figure against the baseline measured in the same run.</summary>
public static class MicroBenchmarks
{
    /// <param name="only">class names to run (<c>--micro=Validation</c>), all of them when empty</param>
    public static void Run(bool quick, IReadOnlyCollection<string> only)
    {
        var job = (quick ? Job.Dry.WithIterationCount(3) : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
        var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        Type[] all = [typeof(AsOfBenchmarks), typeof(ExtendBenchmarks), typeof(ValidationBenchmarks), typeof(ScreeningBenchmarks)];
        BenchmarkRunner.Run([.. all.Where(t => only.Count == 0 || only.Any(o => t.Name.StartsWith(o, StringComparison.OrdinalIgnoreCase)))], config);
    }
}
