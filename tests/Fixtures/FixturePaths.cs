namespace TpCodegen.Testing;

/// <summary>Where the shared fixtures (tests/Fixtures, copied by Fixtures.props) lie beside the test assembly.</summary>
internal static class FixturePaths
{
    /// <summary>The fixture at <paramref name="parts"/> under Fixtures/, e.g. <c>Of("hf-tiny", "llama-tiny", "f32")</c>.</summary>
    public static string Of(params string[] parts)
    {
        string path = Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
        return File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"Fixture '{path}' is missing: does the test project import tests/Fixtures/Fixtures.props?", path);
    }
}
