using System.Reflection;
using JasperFx.CommandLine;
using RelationsLedger.CommandLine;

namespace RelationsLedger.Tests.Unit;

/// <summary>How the process reads its verb before anything starts.</summary>
public sealed class InvocationTests
{
    [Fact]
    public void every_verb_of_the_app_either_never_connects_or_connects_only_after_its_flags()
    {
        var verbs = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(IJasperFxCommand).IsAssignableFrom(t))
            .Select(t => t.GetCustomAttribute<DescriptionAttribute>()!.Name!)
            .ToArray();
        Assert.Contains("replay", verbs);
        Assert.All(verbs, verb =>
        {
            var invocation = Invocation.Of([verb]);
            Assert.True(invocation.Offline ^ invocation.ConnectsAfterItsFlags, verb);
        });
        Assert.Equal(Invocation.LedgerVerbs.Order(), verbs.Where(v => !Invocation.Of([v]).Offline).Order());
    }

    [Theory]
    [InlineData("REPLAY --pair US-BY", "replay", true)]
    [InlineData("--urls http://127.0.0.1:9", "run", false)]
    [InlineData("db-apply", "db-apply", false)]
    public void the_verb_is_read_in_any_case_and_no_verb_is_run(string commandLine, string verb, bool afterFlags)
    {
        var invocation = Invocation.Of(commandLine.Split(' '));
        Assert.Equal((verb, afterFlags), (invocation.Verb, invocation.ConnectsAfterItsFlags));
    }

    [Theory]
    [InlineData("", "run")]
    [InlineData("--urls http://127.0.0.1:9", "run --urls http://127.0.0.1:9")]
    [InlineData("run --check", "run --check")]
    [InlineData("export --all", "export --all")]
    public void the_command_line_reads_no_verb_as_run(string commandLine, string read) =>
        Assert.Equal(read, string.Join(' ', Invocation.WithVerb(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))));

    [Theory]
    [InlineData("help export", 1, 0)]
    [InlineData("? db-apply", 1, 0)]
    [InlineData("help", 0, 0)]
    [InlineData("export --all", 1, 1)]
    public void help_for_a_verb_exits_zero(string commandLine, int exit, int read) =>
        Assert.Equal(read, Invocation.Of(commandLine.Split(' ')).ExitCode(exit));
}
