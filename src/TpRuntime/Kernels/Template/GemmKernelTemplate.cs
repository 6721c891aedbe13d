using System.Text;

namespace TpCodegen.Kernels.Template;

/// <summary>
/// The template the GEMM micro-kernels (Kernels/GemmKernels256.cs, GemmKernels512.cs) are rendered from. Each kernel
/// is one pattern unrolled for a tile height: C has to live in named locals for the JIT to keep it in registers, so
/// the code is written out, and this template is where the pattern is stated once.
/// </summary>
/// <remarks>
/// Not compiled into TpRuntime (TpRuntime.csproj removes Kernels/Template/**); TpRuntime.Tests compiles it and checks
/// that the checked-in kernels are exactly what it renders. To change a kernel, change this template and regenerate:
/// <c>TP_UPDATE_KERNELS=1 dotnet test tests/TpRuntime.Tests -c Release --filter FullyQualifiedName~GemmKernelTemplate</c>.
/// </remarks>
internal static class GemmKernelTemplate
{
    /// <summary>The kernel files: vector width in bits, and the tile heights, tallest (the main tile) first.</summary>
    public static readonly (int Bits, int[] Rows)[] Files = [(256, [6, 4, 2, 1]), (512, [12, 8, 4, 2, 1])];

    // Every tile is two vectors wide.
    private const int Vectors = 2;

    public static string FileName(int bits) => $"GemmKernels{bits}.cs";

    public static string Render(int bits, int[] rows)
    {
        var w = new StringBuilder();
        w.Append("using System.Runtime.CompilerServices;\n");
        w.Append("using System.Runtime.Intrinsics;\n\n");
        w.Append("namespace TpCodegen.Kernels;\n\n");
        w.Append("// The tiles below are one pattern unrolled mechanically for each height (C has to live in named locals\n");
        w.Append("// for the JIT to keep it in registers); change one, change them all the same way.\n");
        w.Append("// Each kernel keeps its whole C tile in registers for the full k-slice: per step of k it loads one\n");
        w.Append("// row of the packed B panel, broadcasts one packed A value per row and issues rows x vectors FMAs.\n");
        w.Append($"internal static unsafe class GemmKernels{bits}\n{{\n");
        for (int i = 0; i < rows.Length; i++)
        {
            if (i > 0) w.Append("\n\n");
            Tile(w, bits, rows[i]);
        }
        w.Append("}\n");
        return w.ToString();
    }

    private static void Tile(StringBuilder w, int bits, int rows)
    {
        string v = $"Vector{bits}";
        int lanes = bits / 32;
        int columns = lanes * Vectors;
        w.Append("    /// <summary>\n");
        w.Append($"    /// {rows}x{columns} register tile: {rows * Vectors} {v} accumulators, {Vectors} B loads and {rows} broadcasts of A per step of k.\n");
        w.Append("    /// Starts from C (accumulate), from the bias row, or from zero, and stores the whole tile at the end.\n");
        w.Append("    /// </summary>\n");
        w.Append("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]\n");
        w.Append($"    internal static void Tile{rows}x{columns}(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float* bias, bool accumulate)\n");
        w.Append("    {\n");
        ForEach(rows, (r, j) => w.Append($"        {v}<float> c{r}_{j};\n"));
        w.Append("        if (accumulate)\n        {\n");
        ForEach(rows, (r, j) => w.Append($"            c{r}_{j} = {v}.Load(c + {r} * ldc + {j * lanes});\n"));
        w.Append("        }\n        else if (bias != null)\n        {\n");
        for (int j = 0; j < Vectors; j++) w.Append($"            var bias{j} = {v}.Load(bias + {j * lanes});\n");
        ForEach(rows, (r, j) => w.Append($"            c{r}_{j} = bias{j};\n"));
        w.Append("        }\n        else\n        {\n");
        ForEach(rows, (r, j) => w.Append($"            c{r}_{j} = {v}<float>.Zero;\n"));
        w.Append("        }\n\n");
        w.Append("        for (int p = 0; p < kc; p++)\n        {\n");
        for (int j = 0; j < Vectors; j++) w.Append($"            var b{j} = {v}.Load(b + {j * lanes});\n");
        for (int r = 0; r < rows; r++)
        {
            w.Append($"            var a{r} = {v}.Create(a[{r}]);\n");
            for (int j = 0; j < Vectors; j++) w.Append($"            c{r}_{j} = {v}.FusedMultiplyAdd(a{r}, b{j}, c{r}_{j});\n");
        }
        w.Append($"            a += {rows};\n");
        w.Append("            b += bStride;\n");
        w.Append("        }\n\n");
        ForEach(rows, (r, j) => w.Append($"        c{r}_{j}.Store(c + {r} * ldc + {j * lanes});\n"));
        w.Append("    }\n");
    }

    private static void ForEach(int rows, Action<int, int> body)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < Vectors; j++) body(r, j);
    }
}
