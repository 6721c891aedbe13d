using TpCodegen.Contract;
using TpCodegen.Generator.Helpers;
using TpCodegen.Generator.Model;
using static TpCodegen.Generator.Emitter;

namespace TpCodegen.Generator;

/// <summary>
/// One layer's shard class, emitted from its split contract alone: the forward moves the input to the placement the
/// GEMM needs, runs the local GEMM and moves its result to the contract's output placement; the backward runs the
/// conjugate moves. No branch here names a split or picks a collective: the contract's transition table does.
/// </summary>
internal static class LayerEmitter
{
    private const string Steps = Generated + ".ShardSteps";
    private const string Kernels = Generated + ".ShardKernels";

    public static void EmitShard(SourceWriter w, LayerSpec layer)
    {
        var contract = layer.Contract;
        var split = contract.Split;
        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Rank-local shard of <c>{layer.MemberName}</c>{ShapeText(layer)}, split by {split.Name.ToLowerInvariant()}s ({split.DividedName}): holds");
        w.WriteLine($"/// {split.Holds}{BiasCaveat(layer)}; takes {Transitions.Display(contract.Input)}, returns {Transitions.Display(contract.Output)}.");
        w.WriteLine("/// </summary>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"private sealed class {layer.ShardClassName} : {Runtime}.ShardedLinear");
        w.WriteLine($"private readonly {Runtime}.Kernels.PackedWeight _weight;");
        w.WriteLine("private readonly float[]? _bias;");
        w.WriteLine("// This rank's block of the weight is [_localIn, _localOut]: the GEMM's input and output widths.");
        w.WriteLine("private readonly int _localIn;");
        w.WriteLine("private readonly int _localOut;");
        w.WriteLine();
        EmitConstructor(w, layer);
        w.WriteLine("// Training reads this rank's block through these and packs the optimizer's new values back in place.");
        w.WriteLine($"protected override {Runtime}.Kernels.PackedWeight? WeightBlock => _weight;");
        w.WriteLine();
        w.WriteLine("protected override float[]? BiasBlock => _bias;");
        w.WriteLine();
        EmitPlacements(w, contract);
        EmitForward(w, contract);
        w.WriteLine();
        EmitBackward(w, contract);
        w.WriteLine();
        w.WriteLine("// The packed weight is native memory: released with the shard (and with the Linear it is attached to).");
        w.OpenBlock("protected override void Dispose(bool disposing)");
        w.WriteLine("if (disposing) _weight.Dispose();");
        w.WriteLine("base.Dispose(disposing);");
        w.CloseBlock();
        w.CloseBlock();
    }

    private static void EmitConstructor(SourceWriter w, LayerSpec layer)
    {
        string split = $"{Runtime}.Split.{layer.Split}";
        w.WriteLine($"public {layer.ShardClassName}({ProcessGroup} group, {Parallel}.LinearShard shard)");
        w.WriteLine($"    : base({Literal(layer.MemberName)}, {split}, group, shard.InFeatures, shard.OutFeatures)");
        w.OpenBlock();
        w.WriteLine($"shard.Require({Literal(layer.MemberName)}, {split}, group);");
        w.WriteLine("// Packed once into the order the GEMM kernel reads, so no forward re-packs the weight; the backward");
        w.WriteLine("// recovers the transpose it needs from this copy, so the shard holds its weight once.");
        w.WriteLine("_weight = shard.PackWeight();");
        w.WriteLine("_bias = shard.Bias;");
        w.WriteLine("_localIn = shard.LocalInFeatures;");
        w.WriteLine("_localOut = shard.LocalOutFeatures;");
        w.CloseBlock();
        w.WriteLine();
    }

    private static void EmitPlacements(SourceWriter w, LayerContract contract)
    {
        w.WriteLine($"public override {PlacementKind} InputPlacement => {Kind(contract.Input)};");
        w.WriteLine();
        w.WriteLine($"public override {PlacementKind} OutputPlacement => {Kind(contract.Output)};");
        w.WriteLine();
        if (contract.Bias == BiasStage.Skipped)
        {
            w.WriteLine("// SkipBiasAdd: the caller adds this bias in its fused epilogue.");
            w.WriteLine("public override global::System.ReadOnlyMemory<float> SkippedBias => _bias;");
            w.WriteLine();
        }
    }

    private static void EmitForward(SourceWriter w, LayerContract contract)
    {
        var split = contract.Split;
        w.WriteLine($"// Forward: {Transitions.Display(contract.Input)} in, the local GEMM on {Transitions.Display(split.GemmInput)} making " +
                    $"{Transitions.Display(split.GemmOutput)}, {Transitions.Display(contract.Output)} out.");
        w.OpenBlock($"protected override {DTensor} ForwardCore({DTensor} x)");
        string input = EmitGemmInput(w, contract, "x", "input");
        w.WriteLine("// The output buffer is pooled inside a StepBuffers scope (a decode or training step reuses it), new outside one.");
        w.WriteLine($"var y = {Steps}.Output(tokens, _localOut);");
        switch (contract.Bias)
        {
            case BiasStage.Epilogue:
                w.WriteLine("// Each rank's output is its own block: the bias (cut the same way) in the GEMM's epilogue; a layer");
                w.WriteLine("// without bias has a null _bias, an empty span here.");
                w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply({input}.LocalSpan, _weight, y, tokens, _bias);");
                break;
            case BiasStage.Skipped:
                w.WriteLine("// SkipBiasAdd: no bias here; SkippedBias hands it to the caller.");
                w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply({input}.LocalSpan, _weight, y, tokens);");
                break;
            case BiasStage.RankZero:
                w.WriteLine("// The output stays a partial sum: only rank 0's addend carries the bias, so the later reduce adds it once.");
                w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply({input}.LocalSpan, _weight, y, tokens);");
                w.WriteLine($"if (_bias is not null && Group.Rank == 0) {Kernels}.AddBias(y, _bias, tokens);");
                break;
            default:
                w.WriteLine("// No bias in the GEMM: added to every rank's partial sum, it would be counted tp times.");
                w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply({input}.LocalSpan, _weight, y, tokens);");
                break;
        }
        w.WriteLine($"// {MoveComment(split.GemmOutput, contract.Output, contract.ForwardOutput)}");
        w.WriteLine($"var output = {Steps}.Move(y, tokens, _localOut, {Kind(split.GemmOutput)}, OutputPlacement, Group);");
        if (contract.Bias == BiasStage.AfterMove)
        {
            w.WriteLine("// The bias, once, after the move.");
            w.WriteLine($"if (_bias is not null) {Kernels}.AddBias(output.LocalSpan, _bias, tokens);");
        }
        w.WriteLine("return output;");
        w.CloseBlock();
    }

    private static void EmitBackward(SourceWriter w, LayerContract contract)
    {
        var split = contract.Split;
        var outputGradient = Transitions.GradientOf(split.GemmOutput);
        w.WriteLine($"// Backward, the conjugate moves: dY in as {Transitions.Display(contract.OutputGradient)}, the local GEMMs make dX as " +
                    $"{Transitions.Display(split.GemmInputGradient)}, dX out as {Transitions.Display(contract.InputGradient)}; dW and db stay on their rank.");
        w.OpenBlock($"protected override {LinearGradients} BackwardCore({DTensor} input, {DTensor} gradOutput)");
        string x = EmitGemmInput(w, contract, "input", "x");
        string dy = EmitHeldMove(w, "gradOutput", "dy", contract.OutputGradient, outputGradient, contract.BackwardOutputGradient);
        w.WriteLine("// dW = X^T @ dY on this rank's block: both operands are on this rank, no data from the others.");
        w.WriteLine("var dw = new float[_localIn * _localOut];");
        w.WriteLine($"{Kernels}.WeightGradient({x}.LocalSpan, {dy}.LocalSpan, dw, tokens, _localIn, _localOut);");
        w.WriteLine(contract.Bias == BiasStage.Skipped
            ? "// db: the gradient of the skipped bias (SkippedBias), whoever adds it: the caller need not compute it."
            : "// db: the column sums of this rank's dY, the gradient of the bias it holds (added once to the output).");
        w.WriteLine($"var db = _bias is null ? null : {Kernels}.BiasGradient({dy}.LocalSpan, tokens, _localOut);");
        w.WriteLine($"// dX = dY @ W^T on this rank's block: {Transitions.Display(split.GemmInputGradient)}.");
        w.WriteLine("var dx = new float[tokens * _localIn];");
        w.WriteLine($"{Kernels}.InputGradient({dy}.LocalSpan, _weight, dx, tokens);");
        w.WriteLine($"// {MoveComment(split.GemmInputGradient, contract.InputGradient, contract.BackwardInputGradient)}");
        w.WriteLine($"var dxMoved = {Steps}.Move(dx, tokens, _localIn, {Kind(split.GemmInputGradient)}, {Kind(contract.InputGradient)}, Group);");
        w.WriteLine($"return new {LinearGradients}(dxMoved, dw, db);");
        w.CloseBlock();
    }

    /// <summary>
    /// The forward and the backward both start from the GEMM's input: the layer's input <paramref name="from"/>, moved as
    /// the contract says (into <paramref name="to"/>), its width checked. Returns the name to read it by.
    /// </summary>
    private static string EmitGemmInput(SourceWriter w, LayerContract contract, string from, string to)
    {
        string input = EmitHeldMove(w, from, to, contract.Input, contract.Split.GemmInput, contract.ForwardInput);
        w.WriteLine($"{Steps}.RequireLocalFeatures(this, {input}, _localIn);");
        w.WriteLine($"int tokens = {from}.Tokens;");
        return input;
    }

    /// <summary>Moves a value the caller holds when the contract says it must move; returns the name to read it by.</summary>
    private static string EmitHeldMove(SourceWriter w, string from, string to, Layout fromLayout, Layout toLayout, Move move)
    {
        if (move == Move.None) return from;
        w.WriteLine($"// {MoveComment(fromLayout, toLayout, move)}");
        w.WriteLine($"var {to} = {Steps}.Move({from}, {Kind(toLayout)});");
        return to;
    }

    private static string MoveComment(Layout from, Layout to, Move move) =>
        $"{Transitions.Display(from)} -> {Transitions.Display(to)}: " + move switch
        {
            Move.None => "nothing moves.",
            Move.LocalSlice => "keep this rank's slice (a local copy, no collective).",
            Move.AllGather => "all-gather the slices, so every rank holds the whole.",
            Move.AllReduce => "all-reduce, so the ranks' partial sums add up to the whole.",
            Move.ReduceScatter => "reduce-scatter, so each rank holds its slice of the sum.",
            _ => "no move exists.",
        };

    private static string Kind(Layout layout) => $"{PlacementKind}.{layout}";

    // The initializer's bias argument is only a hint: an object initializer or a constructor can give the member
    // another Linear, so the shard always carries the runtime layer's bias (null when it has none).
    private static string BiasCaveat(LayerSpec layer) => layer.HasBias == true ? "" : ", if the layer has one";

    private static string ShapeText(LayerSpec layer) =>
        layer.InFeatures is int i && layer.OutFeatures is int o ? $" [{Int(i)} -> {Int(o)}]" : "";
}
