using System.Diagnostics;

namespace RelationsLedger.Benchmarks;

/// <summary>The app as the Dockerfile ships it: <c>dotnet publish --use-current-runtime</c>, which compiles it and its
/// libraries ReadyToRun (RelationsLedger.csproj), so a process starts on precompiled code instead of JIT-compiling
/// Marten, Wolverine and ASP.NET Core on its first requests.</summary>
public static class DeployedApp
{
    public static async Task<string> PublishAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "RelationsLedger.sln"))) root = root.Parent;
        if (root is null) throw new DirectoryNotFoundException("RelationsLedger.sln not found above " + AppContext.BaseDirectory);
        var output = Path.Combine(root.FullName, "tests", "RelationsLedger.Benchmarks", "bin", "deployed-app");
        Console.WriteLine($"publishing the app (ReadyToRun) to {output}");
        var elapsed = await Dotnet(["publish", Path.Combine(root.FullName, "src", "RelationsLedger"), "-c", "Release", "--use-current-runtime", "--self-contained", "false", "-o", output, "-v", "q", "-nologo"]);
        Console.WriteLine($"published in {elapsed.TotalSeconds:0} s");
        return Path.Combine(output, "RelationsLedger.dll");
    }

    /// <summary>Runs <c>dotnet</c> with these arguments (and environment) to its end; its wall time, from process start
    /// to exit. Throws with its output when it fails.</summary>
    public static async Task<TimeSpan> Dotnet(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet {string.Join(' ', start.ArgumentList)} failed: {await stdout} {await stderr}");
        return clock.Elapsed;
    }
}
