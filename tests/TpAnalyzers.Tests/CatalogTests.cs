using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TpCodegen.Analyzers.Tests;

/// <summary>
/// The rule catalog holds together: every descriptor in <c>Descriptors</c> (all its parts, found by reflection, so the
/// parallelism rules are covered too) has a unique id, a help link to its own page, the page itself, and a line in
/// AnalyzerReleases; every analyzer in the assembly reports only catalogued descriptors.
/// </summary>
public class CatalogTests
{
    private static readonly IReadOnlyList<DiagnosticDescriptor> s_descriptors = typeof(Descriptors)
        .GetMembers(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
        .Select(m => m switch
        {
            FieldInfo f when f.FieldType == typeof(DiagnosticDescriptor) => (DiagnosticDescriptor?)f.GetValue(null),
            PropertyInfo p when p.PropertyType == typeof(DiagnosticDescriptor) => (DiagnosticDescriptor?)p.GetValue(null),
            _ => null,
        })
        .OfType<DiagnosticDescriptor>()
        .ToList();

    public static TheoryData<string> Ids() => new(s_descriptors.Select(d => d.Id));

    [Fact]
    public void Catalog_is_not_empty_and_ids_are_unique()
    {
        Assert.NotEmpty(s_descriptors);
        var duplicates = s_descriptors.GroupBy(d => d.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_is_well_formed(string id)
    {
        var descriptor = s_descriptors.Single(d => d.Id == id);
        Assert.Matches(@"^TP\d{4}$", descriptor.Id);
        Assert.Equal("TensorParallel", descriptor.Category);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString()));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Rule_has_a_docs_page(string id)
    {
        var page = Path.Combine(RepoRoot(), "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"Missing {page}");
        Assert.Contains(id, File.ReadAllText(page));
    }

    /// <summary>
    /// A help link is a path the repository and the package both contain (no host: the project has no public web
    /// home, and a link to one that does not exist answers a click with a 404).
    /// </summary>
    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_link_resolves_to_a_page_the_repository_and_the_package_contain(string id)
    {
        var link = s_descriptors.Single(d => d.Id == id).HelpLinkUri;
        Assert.False(string.IsNullOrEmpty(link), $"{id} has no help link");
        Assert.False(Uri.TryCreate(link, UriKind.Absolute, out _), $"{id}'s help link '{link}' points outside the repository and the package");
        var inRepository = Path.Combine(RepoRoot(), link.Replace('/', Path.DirectorySeparatorChar));
        Assert.True(File.Exists(inRepository), $"{id}'s help link '{link}' resolves to no file in the repository ({inRepository})");
        Assert.Contains(link, PackagedFiles());
    }

    /// <summary>
    /// The package paths TpRuntime.csproj packs its None items to (Pack="true": the file's name under PackagePath),
    /// with wildcards in Include expanded as MSBuild does for a single folder.
    /// </summary>
    private static HashSet<string> PackagedFiles()
    {
        var projectDirectory = Path.Combine(RepoRoot(), "src", "TpRuntime");
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(projectDirectory, "TpRuntime.csproj"));
        var packaged = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in project.Descendants("None").Where(n => (string?)n.Attribute("Pack") == "true"))
        {
            var include = ((string)item.Attribute("Include")!).Replace('\\', Path.DirectorySeparatorChar);
            var folder = ((string?)item.Attribute("PackagePath") ?? "").Replace('\\', '/').Trim('/');
            var directory = Path.GetFullPath(Path.Combine(projectDirectory, Path.GetDirectoryName(include)!));
            if (!Directory.Exists(directory)) continue;
            foreach (var file in Directory.GetFiles(directory, Path.GetFileName(include)))
                packaged.Add((folder.Length == 0 ? "" : folder + "/") + Path.GetFileName(file));
        }
        return packaged;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Rule_is_listed_in_analyzer_releases(string id)
    {
        var folder = Path.Combine(RepoRoot(), "src", "TpAnalyzers");
        var listed = new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" }
            .Select(f => Path.Combine(folder, f))
            .Where(File.Exists)
            .SelectMany(File.ReadAllLines)
            .Select(line => Regex.Match(line, @"^\s*(TP\d{4})\s*\|"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value);
        Assert.Contains(id, listed);
    }

    [Fact]
    public void Every_analyzer_reports_only_catalogued_descriptors()
    {
        var catalogued = s_descriptors.ToHashSet();
        var analyzers = AllAnalyzers();
        Assert.NotEmpty(analyzers);
        foreach (var analyzer in analyzers)
            foreach (var supported in analyzer.SupportedDiagnostics)
                Assert.True(catalogued.Contains(supported), $"{analyzer.GetType().Name} reports {supported.Id}, which is not in Descriptors");
    }

    /// <summary>Every concrete analyzer type in the TpAnalyzers assembly.</summary>
    internal static IReadOnlyList<DiagnosticAnalyzer> AllAnalyzers() => typeof(Descriptors).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToList();

    /// <summary>The repository root: the first folder above the test assembly that holds TpCodegen.sln.</summary>
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TpCodegen.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("TpCodegen.sln not found above " + AppContext.BaseDirectory);
    }
}
