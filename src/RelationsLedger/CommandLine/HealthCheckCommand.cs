using JasperFx.CommandLine;

namespace RelationsLedger.CommandLine;

public sealed class HealthCheckInput
{
    [Description("The readiness URL to probe")] public string UrlFlag { get; set; } = "http://127.0.0.1:8080/health/ready";
}

/// <summary>For container health checks where the image has no shell or curl: exit 0 when the app answers ready.</summary>
[Description("Probes the app's readiness endpoint; exit code 0 when ready", Name = "healthcheck")]
public sealed class HealthCheckCommand : JasperFxAsyncCommand<HealthCheckInput>
{
    public override Task<bool> Execute(HealthCheckInput input) => ProbeAsync(input.UrlFlag);

    /// <summary>The URL of <c>healthcheck</c> or <c>healthcheck --url U</c>, which <c>Program</c> probes before it builds
    /// the host: a container runs it every 10 s, and the host's build took 0.9 s of CPU and 127 MB each time. Null
    /// for any other command line, which the command's own parsing answers (a bad flag, help).</summary>
    public static string? Direct(string[] args) => args switch
    {
        [_] => new HealthCheckInput().UrlFlag,
        [_, "--url", var url] => url,
        _ => null,
    };

    public static async Task<bool> ProbeAsync(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"--url must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/health/ready (got '{target}')");
            return false;
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var response = await http.GetAsync(url);
            Console.WriteLine($"{(int)response.StatusCode} {target}");
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"unreachable {target}: {ex.Message}");
            return false;
        }
    }
}
