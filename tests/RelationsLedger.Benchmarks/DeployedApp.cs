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
        var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine(root.FullName, "src", "RelationsLedger"), "-c", "Release", "--use-current-runtime", "--self-contained", "false", "-o", output, "-v", "q", "-nologo" })
            publish.ArgumentList.Add(arg);
        Console.WriteLine($"publishing the app (ReadyToRun) to {output}");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(publish)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed: {await stdout} {await stderr}");
        Console.WriteLine($"published in {clock.Elapsed.TotalSeconds:0} s");
        return Path.Combine(output, "RelationsLedger.dll");
    }
}
