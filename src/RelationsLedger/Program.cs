using JasperFx;
using RelationsLedger.CommandLine;
using RelationsLedger.Dashboards;
using RelationsLedger.Platform;
using RelationsLedger.Seeding;
using Wolverine;
using Wolverine.Http;

args = Invocation.HelpAsked(args);
var invocation = Invocation.Of(args);
if (invocation.Verb == "healthcheck" && HealthCheckCommand.Direct(args) is { } probed) return await HealthCheckCommand.ProbeAsync(probed) ? 0 : 1;
DataOutput.ReserveFor(invocation, args);
if (await BadUsage.ReportedAsync(invocation, args)) return 1;
StopSignals.HoldForWebApp(invocation);
// the app's own folder, so pages and seeds are found whatever the working directory
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
DataOutput.LogFor(builder.Logging, invocation);
if (!invocation.Offline && !invocation.ConnectsAfterItsFlags && LocalPostgres.ReportedMissing(builder.Configuration)) return 1;

builder.Services.AddSingleton(invocation).AddLedgerStore();
builder.Services.AddLedgerHttp();
builder.Services.AddLedgerApiDocs();
builder.Services.AddRequestLimits(builder.Configuration);
builder.Services.AddLedgerTelemetry(builder.Configuration);
builder.Services.AddIdleTrim();
builder.Services.AddSingleton<Seeds>().AddHostedService<SeedOnStart>();
builder.Services.AddSingleton<LiveFeed>();
builder.Services.UsePreGeneratedCode();
if (invocation.IsRun) builder.Services.AddSingleton<IHostLifetime, WebAppLifetime>();
builder.Host.UseWolverine(opts => opts.UseLedgerCluster());

var app = builder.Build();

app.UseLedgerErrors();
app.UseHeadAsGet();
app.UseSecurityHeaders();
app.UseRequestLimits();
app.UseApiKeys();
app.UseKnownQueryNames();
app.MapLedgerHealth();
app.MapPages();
app.MapLedgerApiDocs();
app.MapLedgerTelemetry();
// mapping resolves the endpoints' services, the store among them, which starts the embedded cluster
if (!invocation.ConnectsAfterItsFlags) app.MapWolverineEndpoints(opts => opts.MapConcurrencyFailuresToConflict(_ => true));

if (await UnreachableDatabase.StopsAsync(app.Services, invocation)) return 1;
DataOutput.BeforeCommands(invocation);
return invocation.ExitCode(await app.RunJasperFxCommands(args));

public partial class Program;
