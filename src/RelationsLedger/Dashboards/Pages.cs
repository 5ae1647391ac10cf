namespace RelationsLedger.Dashboards;

/// <summary>The dashboards: static pages from wwwroot that read the JSON API, with a strict CSP on every HTML answer.</summary>
public static class Pages
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";

    private static readonly (string Route, string File)[] Routes =
    [
        ("/", "index.html"),
        ("/relations/{pair}", "relation.html"),
        ("/relations/{pair}/timeline", "timeline.html"),
        ("/relations/{pair}/diff", "diff.html"),
        ("/relations/{pair}/add", "add.html"),
        ("/events/{id}", "event.html"),
        ("/sanctions", "sanctions.html"),
        ("/log", "log.html"),
        ("/status", "status.html"),
        ("/docs", "docs.html"),
    ];

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
                {
                    // the API reference (Scalar) adds <style> elements at run time; scripts stay 'self' everywhere
                    headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/docs")
                        ? ContentSecurityPolicy.Replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
                        : ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                }
                return Task.CompletedTask;
            });
            await next(context);
        });
        return app;
    }

    public static WebApplication MapPages(this WebApplication app)
    {
        // a page's file is a template (its shared parts not filled in): pages are served by their routes only
        var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
        types.Mappings.Remove(".html");
        app.UseStaticFiles(new StaticFileOptions { ContentTypeProvider = types });
        foreach (var (route, file) in Routes)
            app.MapGet(route, (IWebHostEnvironment env) =>
                    Compose(env.WebRootFileProvider, file) is { } html
                        ? Results.Content(html, "text/html; charset=utf-8")
                        : Results.Problem(statusCode: 404, title: "Not found.", detail: $"The dashboard page {file} is not installed."))
                .ExcludeFromDescription();
        return app;
    }

    /// <summary>A page with its shared parts filled in: <c>&lt;!--#name--&gt;</c> stands for wwwroot/partials/name.html.</summary>
    private static string? Compose(Microsoft.Extensions.FileProviders.IFileProvider files, string file)
    {
        var page = files.GetFileInfo(file);
        if (!page.Exists || page.PhysicalPath is null) return null;
        return System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(page.PhysicalPath), "<!--#([a-z-]+)-->\n?",
            m => files.GetFileInfo($"partials/{m.Groups[1].Value}.html") is { Exists: true, PhysicalPath: { } partial } ? File.ReadAllText(partial) : m.Value);
    }
}
