using Microsoft.Playwright;
using RelationsLedger.Platform;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Browser;

/// <summary>The app as a process over its own seeded PostgreSQL, and Debian's Chromium driven by Playwright.</summary>
public sealed class BrowserHost : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private LocalPostgres _database = null!;
    private IPlaywright _playwright = null!;

    public AppProcess App { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string Screenshots
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RelationsLedger.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? Path.GetTempPath(), "docs", "screenshots");
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"No browser at {Chromium}: install Debian's chromium package (apt-get install chromium); .ci/run does.");
        var ct = TestContext.Current.CancellationToken;
        _database = await ScratchCluster.StartAsync("browser");
        App = await AppProcess.StartAsync(_database.ConnectionString, AppProcess.FreePort(), ct, seed: true);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
    }

    public async Task<IPage> OpenAsync(string path, int width = 1280, int height = 900, string timezoneId = "UTC")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.Address.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height }, TimezoneId = timezoneId, Locale = "en-GB",
        });
        var page = await context.NewPageAsync();
        await GotoQuietAsync(page, path);
        return page;
    }

    /// <summary>Goes to <paramref name="path"/> and waits until no request but a live stream has been in flight for
    /// 500 ms: Playwright's NetworkIdle, which leaves out an EventSource, but not the fetch a page on today follows its
    /// live stream with (it sends the tab's key), which never ends.</summary>
    public static async Task GotoQuietAsync(IPage page, string path)
    {
        var inflight = new HashSet<IRequest>();
        var changed = DateTime.UtcNow;
        void Started(object? _, IRequest r) { if (!r.Url.EndsWith("/live", StringComparison.Ordinal)) lock (inflight) { inflight.Add(r); changed = DateTime.UtcNow; } }
        void Ended(object? _, IRequest r) { lock (inflight) if (inflight.Remove(r)) changed = DateTime.UtcNow; }
        page.Request += Started;
        page.RequestFinished += Ended;
        page.RequestFailed += Ended;
        try
        {
            await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                lock (inflight)
                    if (inflight.Count == 0 && DateTime.UtcNow - changed >= TimeSpan.FromMilliseconds(500)) return;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path}: requests still in flight after 30 s: {string.Join(", ", inflight.Select(r => r.Url))}");
                await Task.Delay(50);
            }
        }
        finally
        {
            page.Request -= Started;
            page.RequestFinished -= Ended;
            page.RequestFailed -= Ended;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }
}
