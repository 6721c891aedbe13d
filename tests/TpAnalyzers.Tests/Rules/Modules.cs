namespace TpCodegen.Analyzers.Tests.Rules;

/// <summary>Test modules: the layers of a Llama block in every variant the rules care about, plus a Forward body.</summary>
internal static class Modules
{
    /// <summary>
    /// Gate, Up: column. Down: row (reduces). DownPartial: row, ReduceResults = false. Next: column. Proj: dense.
    /// UpGathered: column, GatherOutput = true. DownFull: row, InputIsParallel = false.
    /// </summary>
    public const string Layers = """
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(64, 256);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(64, 256);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(256, 64);
            [TensorParallel(Split.Row, ReduceResults = false)] public Linear DownPartial { get; } = new(256, 64);
            [TensorParallel(Split.Column)] public Linear Next { get; } = new(64, 256);
            public Linear Proj { get; } = new(64, 64);
            [TensorParallel(Split.Column, GatherOutput = true)] public Linear UpGathered { get; } = new(64, 256);
            [TensorParallel(Split.Row, InputIsParallel = false)] public Linear DownFull { get; } = new(256, 64);
            public static DTensor RmsNorm(DTensor x) => x;
    """;

    /// <summary>A module with <see cref="Layers"/> and the given members (a Forward, helpers).</summary>
    public static string With(string members) => $$"""
        using System;
        using TpCodegen;

        public partial class Block
        {
        {{Layers}}

        {{members}}
        }
        """;
}
