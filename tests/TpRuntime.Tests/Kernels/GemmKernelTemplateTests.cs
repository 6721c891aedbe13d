using System.Runtime.CompilerServices;
using TpCodegen.Kernels.Template;

namespace TpCodegen.Tests.Kernels;

/// <summary>
/// The checked-in GEMM micro-kernels are exactly what their template renders, so the template is the truth and a
/// hand edit to one unrolled tile cannot drift from the others. TP_UPDATE_KERNELS=1 rewrites the kernels instead.
/// </summary>
public sealed class GemmKernelTemplateTests
{
    public static TheoryData<int> Widths => new(GemmKernelTemplate.Files.Select(f => f.Bits));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Checked_in_kernels_are_what_the_template_renders(int bits)
    {
        var rows = GemmKernelTemplate.Files.Single(f => f.Bits == bits).Rows;
        string rendered = GemmKernelTemplate.Render(bits, rows);
        string path = Path.Combine(KernelsFolder(), GemmKernelTemplate.FileName(bits));
        if (Environment.GetEnvironmentVariable("TP_UPDATE_KERNELS") == "1") File.WriteAllText(path, rendered);
        Assert.True(File.Exists(path), $"Missing {path}");
        Assert.Equal(rendered, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    private static string KernelsFolder([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "src", "TpRuntime", "Kernels"));
}
