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
    public override async Task<bool> Execute(HealthCheckInput input)
    {
        if (!Uri.TryCreate(input.UrlFlag, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Console.WriteLine($"--url must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/health/ready (got '{input.UrlFlag}')");
            return false;
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var response = await http.GetAsync(url);
            Console.WriteLine($"{(int)response.StatusCode} {input.UrlFlag}");
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"unreachable {input.UrlFlag}: {ex.Message}");
            return false;
        }
    }
}
