using System.Globalization;
using System.Linq;
using TpCodegen.Generator.Helpers;
using TpCodegen.Generator.Model;

namespace TpCodegen.Generator;

/// <summary>Model -> C# text. A pure function of the model: the same model always gives the same bytes.</summary>
internal static class Emitter
{
    private const string Runtime = "global::TpCodegen";
    private const string ProcessGroup = Runtime + ".Collectives.ProcessGroup";
    private const string DTensor = Runtime + ".DTensor";
    private const string PlacementKind = Runtime + ".PlacementKind";
    private const string Placement = Runtime + ".Placement";
    private const string Parallel = Runtime + ".Parallel";
    private const string LinearGradients = Runtime + ".LinearGradients";
    private const string GeneratedCode =
        "[global::System.CodeDom.Compiler.GeneratedCode(\"TpCodegen.Generator\", \"1.0.0.0\")]";

    public static string LayerHintName(LayerSpec layer) => $"{layer.Module.MetadataName}.{layer.MemberName}.TensorParallel.g.cs";

    public static string ModuleHintName(ModuleSpec module) => $"{module.Module.MetadataName}.TensorParallel.g.cs";

    /// <summary>The sealed shard class of one layer, nested in its module.</summary>
    public static string EmitLayer(LayerSpec layer)
    {
        var writer = new SourceWriter();
        OpenTypes(writer, layer.Module, baseList: "");
        if (layer.Split == SplitKind.Column) EmitColumnShard(writer, layer);
        else EmitRowShard(writer, layer);
        CloseTypes(writer, layer.Module);
        return writer.ToString();
    }

    private static void EmitColumnShard(SourceWriter w, LayerSpec layer)
    {
        string output = layer.GatherOutput ? "Replicate" : "ShardLast";
        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Rank-local shard of <c>{layer.MemberName}</c>{ShapeText(layer)}, split by columns (output features): holds");
        w.WriteLine("/// <c>W[:, r*out/tp : (r+1)*out/tp]</c> and the same slice of the bias" + BiasCaveat(layer) +
                    $"; takes Replicate, returns {(layer.GatherOutput ? "Replicate (all-gathered)" : "Shard(-1)")}.");
        w.WriteLine("/// </summary>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"private sealed class {layer.ShardClassName} : {Runtime}.ShardedLinear");
        w.WriteLine($"private readonly {Runtime}.Kernels.PackedWeight _weight;");
        w.WriteLine("private readonly float[]? _bias;");
        w.WriteLine("private readonly int _localOut;");
        w.WriteLine();
        EmitConstructor(w, layer, "Column", "_localOut = shard.LocalOutFeatures;");
        EmitPlacements(w, "Replicate", output, layer.SkipBiasAdd);
        w.WriteLine($"[{Runtime}.PlacementContract({PlacementKind}.Replicate, {PlacementKind}.{output})]");
        w.OpenBlock($"protected override {DTensor} ForwardCore({DTensor} x)");
        w.WriteLine($"{Parallel}.TensorParallelChecks.RequireLocalFeatures(this, x, InFeatures);");
        w.WriteLine("int tokens = x.Tokens;");
        w.WriteLine("var y = new float[tokens * _localOut];");
        w.WriteLine("// Each rank computes its own block of output columns from the full input: no data moves.");
        if (layer.SkipBiasAdd)
        {
            w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply(x.LocalSpan, _weight, y, tokens);");
        }
        else
        {
            w.WriteLine("// The bias slice in the GEMM's epilogue; a layer without bias has a null _bias, an empty span here.");
            w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply(x.LocalSpan, _weight, y, tokens, _bias);");
        }
        if (layer.GatherOutput)
        {
            w.WriteLine($"var shard = {DTensor}.FromArray(y, tokens, _localOut, {Placement}.Shard(-1), Group);");
            w.WriteLine("// GatherOutput: all-gather the column blocks so every rank holds the full output.");
            w.WriteLine($"return shard.Redistribute({Placement}.Replicate);");
        }
        else
        {
            w.WriteLine($"return {DTensor}.FromArray(y, tokens, _localOut, {Placement}.Shard(-1), Group);");
        }
        w.CloseBlock();
        w.WriteLine();
        EmitColumnBackward(w, layer);
        w.CloseBlock();
    }

    private static void EmitColumnBackward(SourceWriter w, LayerSpec layer)
    {
        string kernels = Parallel + ".ShardKernels";
        w.WriteLine("// Backward, the conjugate of the forward: the replicated input fanned out to every rank's columns, so its");
        w.WriteLine("// gradient is a sum over the ranks (one all-reduce); the weight and bias gradients stay on their rank.");
        w.OpenBlock($"protected override {LinearGradients} BackwardCore({DTensor} input, {DTensor} gradOutput)");
        w.WriteLine($"{Parallel}.TensorParallelChecks.RequireLocalFeatures(this, input, InFeatures);");
        w.WriteLine("int tokens = input.Tokens;");
        string dy = "gradOutput";
        if (layer.GatherOutput)
        {
            w.WriteLine("// GatherOutput: the output was all-gathered, so its gradient is full width; keep this rank's columns");
            w.WriteLine("// (a local copy, no collective).");
            w.WriteLine($"var dy = gradOutput.Redistribute({Placement}.Shard(-1));");
            dy = "dy";
        }
        w.WriteLine("// dW = X^T @ dY_local: the input is replicated, so this rank's column block needs no data from the others.");
        w.WriteLine("var dw = new float[InFeatures * _localOut];");
        w.WriteLine($"{kernels}.WeightGradient(input.LocalSpan, {dy}.LocalSpan, dw, tokens, InFeatures, _localOut);");
        if (layer.SkipBiasAdd)
            w.WriteLine("// SkipBiasAdd: still the gradient of this rank's bias slice (SkippedBias), whoever adds it: the caller need not compute it.");
        else
            w.WriteLine("// db: the column sums of this rank's slice of dY, the gradient of its slice of the bias.");
        w.WriteLine($"var db = _bias is null ? null : {kernels}.BiasGradient({dy}.LocalSpan, tokens, _localOut);");
        w.WriteLine("// dX = dY_local @ W_local^T is only this rank's columns' share of dY @ W^T: a partial sum over the ranks.");
        w.WriteLine("var dx = new float[tokens * InFeatures];");
        w.WriteLine($"{kernels}.InputGradient({dy}.LocalSpan, _weight, dx, tokens);");
        w.WriteLine("// The backward's one all-reduce: the shares add up to the full input gradient on every rank.");
        w.WriteLine("Group.AllReduce(dx);");
        w.WriteLine($"return new {LinearGradients}({DTensor}.FromArray(dx, tokens, InFeatures, {Placement}.Replicate, Group), dw, db);");
        w.CloseBlock();
    }

    private static void EmitRowShard(SourceWriter w, LayerSpec layer)
    {
        string input = layer.InputIsParallel ? "ShardLast" : "Replicate";
        string output = layer.ReduceResults ? "Replicate" : "PartialSum";
        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Rank-local shard of <c>{layer.MemberName}</c>{ShapeText(layer)}, split by rows (input features): holds");
        w.WriteLine("/// <c>W[r*in/tp : (r+1)*in/tp, :]</c> and the whole bias" + BiasCaveat(layer) +
                    $"; takes {(layer.InputIsParallel ? "Shard(-1)" : "Replicate (keeps its own slice)")}, returns " +
                    $"{(layer.ReduceResults ? "Replicate (all-reduced)" : "Partial(Sum)")}.");
        w.WriteLine("/// </summary>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"private sealed class {layer.ShardClassName} : {Runtime}.ShardedLinear");
        w.WriteLine($"private readonly {Runtime}.Kernels.PackedWeight _weight;");
        w.WriteLine("private readonly float[]? _bias;");
        w.WriteLine("private readonly int _localIn;");
        w.WriteLine();
        EmitConstructor(w, layer, "Row", "_localIn = shard.LocalInFeatures;");
        EmitPlacements(w, input, output, layer.SkipBiasAdd);
        w.WriteLine($"[{Runtime}.PlacementContract({PlacementKind}.{input}, {PlacementKind}.{output})]");
        w.OpenBlock($"protected override {DTensor} ForwardCore({DTensor} x)");
        string local = "x";
        if (!layer.InputIsParallel)
        {
            w.WriteLine("// InputIsParallel = false: keep this rank's slice of the replicated input (a local copy, no collective).");
            w.WriteLine($"var input = x.Redistribute({Placement}.Shard(-1));");
            local = "input";
        }
        w.WriteLine($"{Parallel}.TensorParallelChecks.RequireLocalFeatures(this, {local}, _localIn);");
        w.WriteLine("int tokens = x.Tokens;");
        w.WriteLine("var y = new float[tokens * OutFeatures];");
        w.WriteLine("// No bias in the GEMM: added to every rank's partial sum, it would be counted tp times.");
        w.WriteLine($"{Runtime}.Kernels.Gemm.Multiply({local}.LocalSpan, _weight, y, tokens);");
        if (layer.ReduceResults)
        {
            w.WriteLine("// The ranks' partial sums add up to x @ W.");
            w.WriteLine("Group.AllReduce(y);");
            if (!layer.SkipBiasAdd)
            {
                w.WriteLine("// The bias, once, after the sum.");
                w.WriteLine($"if (_bias is not null) {Parallel}.ShardKernels.AddBias(y, _bias, tokens);");
            }
            w.WriteLine($"return {DTensor}.FromArray(y, tokens, OutFeatures, {Placement}.Replicate, Group);");
        }
        else
        {
            if (!layer.SkipBiasAdd)
            {
                w.WriteLine("// ReduceResults = false: the output stays a partial sum; only rank 0's addend carries the bias,");
                w.WriteLine("// so the later reduce adds it exactly once.");
                w.WriteLine($"if (_bias is not null && Group.Rank == 0) {Parallel}.ShardKernels.AddBias(y, _bias, tokens);");
            }
            else
            {
                w.WriteLine("// ReduceResults = false: the output stays a partial sum for a later (fused) reduce.");
            }
            w.WriteLine($"return {DTensor}.FromArray(y, tokens, OutFeatures, {Placement}.Partial({Runtime}.ReduceOp.Sum), Group);");
        }
        w.CloseBlock();
        w.WriteLine();
        EmitRowBackward(w, layer);
        w.CloseBlock();
    }

    private static void EmitRowBackward(SourceWriter w, LayerSpec layer)
    {
        string kernels = Parallel + ".ShardKernels";
        w.WriteLine("// Backward, the conjugate of the forward: the output gradient is replicated, and each rank's rows of W see only");
        w.WriteLine("// its own input features, so the input gradient comes out already split by rank: no all-reduce.");
        w.OpenBlock($"protected override {LinearGradients} BackwardCore({DTensor} input, {DTensor} gradOutput)");
        string local = "input";
        if (!layer.InputIsParallel)
        {
            w.WriteLine("// InputIsParallel = false: the forward kept this rank's slice of the replicated input; take the same slice");
            w.WriteLine("// (a local copy, no collective).");
            w.WriteLine($"var x = input.Redistribute({Placement}.Shard(-1));");
            local = "x";
        }
        w.WriteLine($"{Parallel}.TensorParallelChecks.RequireLocalFeatures(this, {local}, _localIn);");
        w.WriteLine("int tokens = input.Tokens;");
        if (!layer.ReduceResults)
            w.WriteLine("// ReduceResults = false: the gradient of the partial sum is the full gradient of the value it reduces to.");
        w.WriteLine("// dW = X_local^T @ dY: every rank holds the full dY, so its row block needs no data from the others.");
        w.WriteLine("var dw = new float[_localIn * OutFeatures];");
        w.WriteLine($"{kernels}.WeightGradient({local}.LocalSpan, gradOutput.LocalSpan, dw, tokens, _localIn, OutFeatures);");
        if (layer.SkipBiasAdd)
            w.WriteLine("// SkipBiasAdd: still the gradient of the whole bias (SkippedBias), whoever adds it: the caller need not compute it.");
        else if (!layer.ReduceResults)
            w.WriteLine("// db: the bias reaches the reduced output once (rank 0's addend), so its gradient is the column sums of dY.");
        else
            w.WriteLine("// db: the bias was added once, after the reduce: its gradient is the column sums of dY, the same on every rank.");
        w.WriteLine($"var db = _bias is null ? null : {kernels}.BiasGradient(gradOutput.LocalSpan, tokens, OutFeatures);");
        w.WriteLine("// dX_local = dY @ W_local^T is exactly this rank's columns of dY @ W^T: nothing to sum, no all-reduce.");
        w.WriteLine("var dx = new float[tokens * _localIn];");
        w.WriteLine($"{kernels}.InputGradient(gradOutput.LocalSpan, _weight, dx, tokens);");
        if (layer.InputIsParallel)
        {
            w.WriteLine($"return new {LinearGradients}({DTensor}.FromArray(dx, tokens, _localIn, {Placement}.Shard(-1), Group), dw, db);");
        }
        else
        {
            w.WriteLine($"var shard = {DTensor}.FromArray(dx, tokens, _localIn, {Placement}.Shard(-1), Group);");
            w.WriteLine("// The input was replicated, so its gradient must be too: all-gather the slices, the backward's one collective.");
            w.WriteLine($"return new {LinearGradients}(shard.Redistribute({Placement}.Replicate), dw, db);");
        }
        w.CloseBlock();
    }

    private static void EmitConstructor(SourceWriter w, LayerSpec layer, string split, string localAssignment)
    {
        w.WriteLine($"public {layer.ShardClassName}({ProcessGroup} group, {Parallel}.LinearShard shard)");
        w.WriteLine($"    : base({Literal(layer.MemberName)}, {Runtime}.Split.{split}, group, shard.InFeatures, shard.OutFeatures)");
        w.OpenBlock();
        w.WriteLine($"shard.Require({Literal(layer.MemberName)}, {Runtime}.Split.{split}, group);");
        w.WriteLine("// Packed once into the order the GEMM kernel reads, so no forward re-packs the weight; the backward");
        w.WriteLine("// recovers the transpose it needs from this copy, so the shard holds its weight once.");
        w.WriteLine("_weight = shard.PackWeight();");
        w.WriteLine("_bias = shard.Bias;");
        w.WriteLine(localAssignment);
        w.CloseBlock();
        w.WriteLine();
    }

    private static void EmitPlacements(SourceWriter w, string input, string output, bool skippedBias)
    {
        w.WriteLine($"public override {PlacementKind} InputPlacement => {PlacementKind}.{input};");
        w.WriteLine();
        w.WriteLine($"public override {PlacementKind} OutputPlacement => {PlacementKind}.{output};");
        w.WriteLine();
        if (skippedBias)
        {
            w.WriteLine("// SkipBiasAdd: the caller adds this bias in its fused epilogue.");
            w.WriteLine("public override global::System.ReadOnlyMemory<float> SkippedBias => _bias;");
            w.WriteLine();
        }
    }

    /// <summary>The module's ITensorParallelModule implementation: ShardFrom (dense and checkpoint) and GetPlan.</summary>
    public static string EmitModule(ModuleSpec module)
    {
        var w = new SourceWriter();
        var type = module.Module;
        OpenTypes(w, type, baseList: $" : {Parallel}.ITensorParallelModule");
        string layerList = string.Join(", ", module.Layers.Select(l => $"{l.MemberName}: {l.Split}"));

        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Attaches to each marked layer ({layerList}) rank <c>group.Rank</c>'s shard of the same layer of");
        w.WriteLine("/// <paramref name=\"dense\"/>; this module's own Forward then runs sharded over <paramref name=\"group\"/>.");
        w.WriteLine("/// Build the module on every rank (its Linear weights are created lazily, so nothing dense is allocated) and");
        w.WriteLine("/// call this with the dense module; <paramref name=\"dense\"/> may be this module. Every layer is checked and cut");
        w.WriteLine("/// before any is attached.");
        w.WriteLine("/// </summary>");
        w.WriteLine($"/// <exception cref=\"{Parallel}.TensorParallelDegreeException\">The group's size does not divide a split dimension.</exception>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"public void ShardFrom({type.FullyQualifiedName} dense, {ProcessGroup} group)");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(dense);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(group);");
        foreach (var layer in module.Layers)
            w.WriteLine($"var {Local(layer)} = new {layer.ShardClassName}(group, {Parallel}.LinearShard.{layer.Split}(dense.{layer.MemberAccess}, {Literal(layer.MemberName)}, group.Rank, group.Size));");
        EmitAttach(w, module);
        w.CloseBlock();
        w.WriteLine();

        w.WriteLine("/// <inheritdoc/>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"public void ShardFrom({Parallel}.ICheckpointShardSource source, {ProcessGroup} group, string prefix = \"\")");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(source);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(group);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(prefix);");
        foreach (var layer in module.Layers)
            w.WriteLine($"var {Local(layer)} = new {layer.ShardClassName}(group, {Parallel}.LinearShard.{layer.Split}(source, prefix, this.{layer.MemberAccess}, {Literal(layer.MemberName)}, group.Rank, group.Size));");
        EmitAttach(w, module);
        w.CloseBlock();
        w.WriteLine();

        w.WriteLine("/// <inheritdoc/>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"public {Parallel}.TensorParallelPlan GetPlan(int tp, int tokens)");
        w.WriteLine($"return new {Parallel}.TensorParallelPlan({Literal(type.DisplayName)}, tp, tokens, new {Parallel}.LayerPlan[]");
        w.OpenBlock();
        foreach (var layer in module.Layers)
        {
            // Shapes fixed by constants in the initializer are baked in; the others are read from the layer at run time.
            string shape = $"{Parallel}.LinearShard.Layer(this.{layer.MemberAccess}, {Literal(layer.MemberName)})";
            string inFeatures = layer.InFeatures is int i ? Int(i) : shape + ".InFeatures";
            string outFeatures = layer.OutFeatures is int o ? Int(o) : shape + ".OutFeatures";
            // The bias is always read from the layer: the initializer's bias argument may not be the layer it holds.
            string hasBias = shape + ".HasBias";
            string options = layer.Split == SplitKind.Column
                ? $"gatherOutput: {Bool(layer.GatherOutput)}, skipBiasAdd: {Bool(layer.SkipBiasAdd)}"
                : $"inputIsParallel: {Bool(layer.InputIsParallel)}, reduceResults: {Bool(layer.ReduceResults)}, skipBiasAdd: {Bool(layer.SkipBiasAdd)}";
            w.WriteLine($"{Parallel}.LayerPlan.{layer.Split}({Literal(layer.MemberName)}, {inFeatures}, {outFeatures}, {hasBias}, {options}, tp, tokens),");
        }
        w.CloseBlock(");");
        w.CloseBlock();

        CloseTypes(w, type);
        return w.ToString();
    }

    private static void EmitAttach(SourceWriter w, ModuleSpec module)
    {
        // One call: every layer's shape is checked before any shard is attached, so a mismatch leaves none half-sharded.
        string pairs = string.Join(", ", module.Layers.Select(layer => $"(this.{layer.MemberAccess}, {Local(layer)})"));
        w.WriteLine($"{Parallel}.LinearShard.AttachAll({pairs});");
    }

    private static void OpenTypes(SourceWriter w, TypeHierarchy type, string baseList)
    {
        w.WriteLine("// <auto-generated/>");
        w.WriteLine("#nullable enable");
        w.WriteLine();
        if (type.Namespace.Length > 0) w.OpenBlock($"namespace {type.Namespace}");
        for (int i = 0; i < type.Types.Count; i++)
        {
            var declaration = type.Types[i];
            string bases = i == type.Types.Count - 1 ? baseList : "";
            w.OpenBlock($"partial {declaration.Keyword} {declaration.Name}{bases}");
        }
    }

    private static void CloseTypes(SourceWriter w, TypeHierarchy type)
    {
        for (int i = 0; i < type.Types.Count; i++) w.CloseBlock();
        if (type.Namespace.Length > 0) w.CloseBlock();
    }

    // The initializer's bias argument is only a hint: an object initializer or a constructor can give the member
    // another Linear, so the shard always carries the runtime layer's bias (null when it has none).
    private static string BiasCaveat(LayerSpec layer) => layer.HasBias == true ? "" : ", if the layer has one";

    private static string ShapeText(LayerSpec layer) =>
        layer.InFeatures is int i && layer.OutFeatures is int o ? $" [{Int(i)} -> {Int(o)}]" : "";

    // The shard's local name in ShardFrom; a prefix keeps it clear of parameters and keywords.
    private static string Local(LayerSpec layer) => "shard" + layer.MemberName;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Literal(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
