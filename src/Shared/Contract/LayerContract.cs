using System.Collections.Generic;

namespace TpCodegen.Contract;

/// <summary>
/// A <see cref="SplitContract"/> resolved for one layer's options: the placements it takes and returns, and every
/// move of its forward and backward, each derived from <see cref="Transitions"/>.
/// </summary>
internal sealed record LayerContract(SplitContract Split, LayerOptions Options, Layout Input, Layout Output)
{
    /// <summary>Forward, before the GEMM: the layer's input to the placement the GEMM needs.</summary>
    public Move ForwardInput => Transitions.Between(Input, Split.GemmInput);

    /// <summary>Forward, after the GEMM: what the GEMM made to the layer's output placement.</summary>
    public Move ForwardOutput => Transitions.Between(Split.GemmOutput, Output);

    /// <summary>Backward, before the GEMMs: the output gradient to the placement of the GEMM output's gradient.</summary>
    public Move BackwardOutputGradient => Transitions.Between(GradientOf(Output), GradientOf(Split.GemmOutput));

    /// <summary>Backward, after the GEMMs: the GEMM's input gradient to the placement of the layer input's gradient.</summary>
    public Move BackwardInputGradient => Transitions.Between(Split.GemmInputGradient, GradientOf(Input));

    /// <summary>The placement the backward takes its output gradient in.</summary>
    public Layout OutputGradient => GradientOf(Output);

    /// <summary>The placement of the input gradient the backward returns: the forward input's.</summary>
    public Layout InputGradient => GradientOf(Input);

    /// <summary>Where the forward adds the bias.</summary>
    public BiasStage Bias =>
        Options.SkipBiasAdd ? BiasStage.Skipped
        : Split.GemmOutput != Layout.PartialSum ? BiasStage.Epilogue
        : Output == Layout.PartialSum ? BiasStage.RankZero
        : BiasStage.AfterMove;

    /// <summary>The forward's moves in order, collectives or not.</summary>
    public IEnumerable<Move> ForwardMoves => new[] { ForwardInput, ForwardOutput };

    /// <summary>The backward's moves in order, collectives or not.</summary>
    public IEnumerable<Move> BackwardMoves => new[] { BackwardOutputGradient, BackwardInputGradient };

    /// <summary>
    /// The options that make this layer differ from its split's default, as the plan prints them ("gather",
    /// "scatter-input", "partial-out", "skip-bias"), or "-".
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>();
        var defaults = LayerOptions.Defaults;
        foreach (var option in Split.Options)
        {
            if (Options.Get(option) == defaults.Get(option)) continue;
            parts.Add(option switch
            {
                SplitOption.GatherOutput => "gather",
                SplitOption.InputIsParallel => "scatter-input",
                SplitOption.ReduceResults => "partial-out",
                _ => "skip-bias",
            });
        }
        return parts.Count == 0 ? "-" : string.Join(",", parts);
    }

    private static Layout GradientOf(Layout layout) => Transitions.GradientOf(layout);
}
