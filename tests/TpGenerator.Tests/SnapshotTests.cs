using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TpCodegen.Generator.Tests;

/// <summary>
/// The generated source of each input, compared with the checked-in files under Snapshots/{case}/.
/// Set TP_UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Cases => new(GeneratorInputs.Cases.Keys);

    public static TheoryData<string> UnsupportedCases => new(GeneratorInputs.Unsupported.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_matches_snapshot(string name)
    {
        var (sources, _) = GeneratorHarness.Run(GeneratorHarness.Compile(GeneratorInputs.Cases[name]));
        Assert.NotEmpty(sources);

        string directory = Path.Combine(SnapshotRoot(), name);
        bool update = Environment.GetEnvironmentVariable("TP_UPDATE_SNAPSHOTS") == "1";
        if (update)
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            Directory.CreateDirectory(directory);
            foreach (var source in sources)
                File.WriteAllText(Path.Combine(directory, source.HintName), source.SourceText.ToString());
            return;
        }

        Assert.True(Directory.Exists(directory), $"No snapshots for '{name}' in {directory}; run with TP_UPDATE_SNAPSHOTS=1 to create them.");
        var expectedFiles = Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedFiles, sources.Select(s => s.HintName).ToArray());
        foreach (var source in sources)
        {
            string expected = File.ReadAllText(Path.Combine(directory, source.HintName)).ReplaceLineEndings("\n");
            string actual = source.SourceText.ToString();
            if (expected != actual)
                Assert.Fail($"{name}/{source.HintName} differs from its snapshot (TP_UPDATE_SNAPSHOTS=1 rewrites it):\n{LineDiff(expected, actual)}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_compiles_without_errors_or_warnings(string name)
    {
        var (_, output) = GeneratorHarness.Run(GeneratorHarness.Compile(GeneratorInputs.Cases[name]));
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
    }

    [Theory]
    [MemberData(nameof(UnsupportedCases))]
    public void Unsupported_input_generates_nothing(string name)
    {
        var driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(GeneratorInputs.Unsupported[name]));
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Output_is_deterministic_and_independent_of_culture()
    {
        var compilation = GeneratorHarness.Compile(GeneratorInputs.Cases["Attention"], GeneratorInputs.Cases["NestedTypes"]);
        string first = Concatenate(GeneratorHarness.Run(compilation).Sources);
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("ar-SA");
            Assert.Equal(first, Concatenate(GeneratorHarness.Run(compilation).Sources));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Same_named_modules_in_different_containers_get_distinct_hint_names()
    {
        var compilation = GeneratorHarness.Compile("""
            using TpCodegen;
            namespace A { public partial class M { [TensorParallel(Split.Column)] public Linear P { get; } = new(4, 8); } }
            namespace B { public partial class M { [TensorParallel(Split.Column)] public Linear P { get; } = new(4, 8); } }
            public partial class A2 { public partial class M { [TensorParallel(Split.Column)] public Linear P { get; } = new(4, 8); } }
            """);
        var (sources, output) = GeneratorHarness.Run(compilation);
        Assert.Equal(6, sources.Select(s => s.HintName).Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    private static string Concatenate(IEnumerable<GeneratedSourceResult> sources) =>
        string.Concat(sources.Select(s => "// " + s.HintName + "\n" + s.SourceText));

    private static string SnapshotRoot([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Snapshots");

    /// <summary>A minimal line diff: the lines that differ, with their numbers, "-" expected and "+" actual.</summary>
    private static string LineDiff(string expected, string actual)
    {
        var left = expected.Split('\n');
        var right = actual.Split('\n');
        var text = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < Math.Max(left.Length, right.Length) && shown < 40; i++)
        {
            string? l = i < left.Length ? left[i] : null;
            string? r = i < right.Length ? right[i] : null;
            if (l == r) continue;
            shown++;
            if (l is not null) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1,5} - {l}\n");
            if (r is not null) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1,5} + {r}\n");
        }
        return text.ToString();
    }
}
