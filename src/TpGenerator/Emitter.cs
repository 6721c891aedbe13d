using System.Globalization;
using System.Linq;
using TpCodegen.Generator.Helpers;
using TpCodegen.Contract;
using TpCodegen.Generator.Model;

namespace TpCodegen.Generator;

/// <summary>Model -> C# text. A pure function of the model: the same model always gives the same bytes.</summary>
internal static class Emitter
{
    internal const string Runtime = "global::TpCodegen";
    internal const string ProcessGroup = Runtime + ".Collectives.ProcessGroup";
    internal const string DTensor = Runtime + ".DTensor";
    internal const string PlacementKind = Runtime + ".PlacementKind";
    internal const string Parallel = Runtime + ".Parallel";
    internal const string Generated = Parallel + ".Generated";
    internal const string LinearGradients = Runtime + ".LinearGradients";
    internal const string GeneratedCode =
        "[global::System.CodeDom.Compiler.GeneratedCode(\"TpCodegen.Generator\", \"1.0.0.0\")]";

    public static string LayerHintName(LayerSpec layer) => $"{layer.Module.MetadataName}.{layer.MemberName}.TensorParallel.g.cs";

    public static string ModuleHintName(ModuleSpec module) => $"{module.Module.MetadataName}.TensorParallel.g.cs";

    /// <summary>The sealed shard class of one layer, nested in its module.</summary>
    public static string EmitLayer(LayerSpec layer)
    {
        var writer = new SourceWriter();
        OpenTypes(writer, layer.Module, baseList: "");
        LayerEmitter.EmitShard(writer, layer);
        CloseTypes(writer, layer.Module);
        return writer.ToString();
    }

    /// <summary>The module's ITensorParallelModule implementation: ShardFrom (dense and checkpoint) and GetPlan.</summary>
    public static string EmitModule(ModuleSpec module)
    {
        var w = new SourceWriter();
        var type = module.Module;
        OpenTypes(w, type, baseList: $" : {Parallel}.ITensorParallelModule");
        string layerList = string.Join(", ", module.Layers.Select(l => $"{l.MemberName}: {l.Split}"));
        string inherited = type.BaseModule is null ? "" : " and, through the base module's ShardFrom, every layer the base marks";
        // Unsealed modules can be derived from: a derived module's generated members override these and call them.
        string modifier = type.BaseModule is not null ? "override " : type.IsSealed ? "" : "virtual ";

        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Attaches to each marked layer ({layerList}){inherited} rank <c>group.Rank</c>'s shard of the same layer of");
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
            w.WriteLine($"var {Local(layer)} = {WhenPresent(layer, CutFromDense(layer))};");
        EmitBaseCall(w, type, "base.ShardFrom(dense, group);");
        EmitAttach(w, module);
        w.CloseBlock();
        w.WriteLine();

        w.WriteLine("/// <inheritdoc/>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"public {modifier}void ShardFrom({Parallel}.ICheckpointShardSource source, {ProcessGroup} group, string prefix = \"\")");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(source);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(group);");
        w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(prefix);");
        foreach (var layer in module.Layers)
            w.WriteLine($"var {Local(layer)} = {WhenPresent(layer, CutFromCheckpoint(layer))};");
        EmitBaseCall(w, type, "base.ShardFrom(source, group, prefix);");
        EmitAttach(w, module);
        w.CloseBlock();
        w.WriteLine();

        w.WriteLine("/// <inheritdoc/>");
        w.WriteLine(GeneratedCode);
        w.OpenBlock($"public {modifier}{Parallel}.TensorParallelPlan GetPlan(int tp, int tokens)");
        bool optional = module.Layers.Any(layer => layer.Optional);
        w.WriteLine($"var layers = new {Parallel}.LayerPlan{(optional ? "?" : "")}[]");
        w.OpenBlock();
        foreach (var layer in module.Layers) w.WriteLine(WhenPresent(layer, PlanRow(layer)) + ",");
        w.CloseBlock(";");
        if (optional)
        {
            w.WriteLine("// Optional layers this module does not hold have no row.");
            w.WriteLine($"var present = global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.OfType<{Parallel}.LayerPlan>(layers));");
        }
        string rows = optional ? "present" : "layers";
        if (type.BaseModule is null)
        {
            w.WriteLine($"return new {Parallel}.TensorParallelPlan({Literal(type.DisplayName)}, tp, tokens, {rows});");
        }
        else
        {
            w.WriteLine("// The base module's layers first, as its Forward usually runs them first.");
            w.WriteLine($"var inherited = base.GetPlan(tp, tokens).Layers;");
            w.WriteLine($"return new {Parallel}.TensorParallelPlan({Literal(type.DisplayName)}, tp, tokens, " +
                        $"global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.Concat(inherited, {rows})));");
        }
        w.CloseBlock();

        CloseTypes(w, type);
        return w.ToString();
    }

    // After this module's shards are cut and before they are attached, so a failure in this module's layers leaves the base's
    // as they were, and a failure in the base's leaves this module's unattached.
    private static void EmitBaseCall(SourceWriter w, TypeHierarchy type, string call)
    {
        if (type.BaseModule is null) return;
        w.WriteLine($"// The base module ({type.BaseModule}) shards the layers it marks; this module, its own.");
        w.WriteLine(call);
    }

    // An optional (nullable) member this module does not hold gets no shard and no plan row.
    private static string WhenPresent(LayerSpec layer, string expression) =>
        layer.Optional ? $"this.{layer.MemberAccess} is null ? null : {expression}" : expression;

    private static string CutFromDense(LayerSpec layer) => layer.Target == LayerTarget.Embedding
        ? $"{Runtime}.EmbeddingShard.From({Generated}.ShardSteps.Table(dense.{layer.MemberAccess}, {Literal(layer.MemberName)}), {Literal(layer.MemberName)}, group)"
        : $"new {LinearShardClass(layer)}(group, {Parallel}.LinearShard.{layer.Split}(dense.{layer.MemberAccess}, {Literal(layer.MemberName)}, group.Rank, group.Size))";

    private static string CutFromCheckpoint(LayerSpec layer) => layer.Target == LayerTarget.Embedding
        ? $"{Runtime}.EmbeddingShard.From(source, prefix, {Generated}.ShardSteps.Table(this.{layer.MemberAccess}, {Literal(layer.MemberName)}), {Literal(layer.MemberName)}, group)"
        : $"new {LinearShardClass(layer)}(group, {Parallel}.LinearShard.{layer.Split}(source, prefix, this.{layer.MemberAccess}, {Literal(layer.MemberName)}, group.Rank, group.Size))";

    // The generated nested class, or the runtime class the split's contract row names.
    private static string LinearShardClass(LayerSpec layer) =>
        layer.EmitsShardClass ? layer.ShardClassName : $"{Runtime}.{SplitContracts.For(layer.Split).RuntimeShard}";

    private static string PlanRow(LayerSpec layer)
    {
        if (layer.Target == LayerTarget.Embedding)
            return $"{Parallel}.LayerPlan.Create({Literal(layer.MemberName)}, {Attribute(layer)}, {Generated}.ShardSteps.Table(this.{layer.MemberAccess}, {Literal(layer.MemberName)}), tp, tokens)";
        // Shapes fixed by constants in the initializer are baked in; the others are read from the layer at run time, as
        // are its head and segment layouts (which decide what each rank holds) and its bias (the initializer's bias
        // argument may not be the layer the member holds).
        string shape = $"{Parallel}.LinearShard.Layer(this.{layer.MemberAccess}, {Literal(layer.MemberName)})";
        string inFeatures = layer.InFeatures is int i ? Int(i) : shape + ".InFeatures";
        string outFeatures = layer.OutFeatures is int o ? Int(o) : shape + ".OutFeatures";
        return $"{Parallel}.LayerPlan.Create({Literal(layer.MemberName)}, {Attribute(layer)}, {inFeatures}, {outFeatures}, {shape}, tp, tokens)";
    }

    private static string WhenCut(LayerSpec layer, string statement) =>
        layer.Optional ? $"if ({Local(layer)} is not null) {statement}" : statement;

    private static void EmitAttach(SourceWriter w, ModuleSpec module)
    {
        var tables = module.Layers.Where(layer => layer.Target == LayerTarget.Embedding).ToArray();
        var linears = module.Layers.Where(layer => layer.Target == LayerTarget.Linear).ToArray();
        // Every layer's shape is checked before any shard is attached, so a mismatch leaves none half-sharded.
        foreach (var table in tables)
            w.WriteLine(WhenCut(table, $"{Generated}.ShardSteps.RequireFits(this.{table.MemberAccess}, {Local(table)});"));
        if (linears.Length > 0)
        {
            string pairs = string.Join(", ", linears.Select(layer => $"(this.{layer.MemberAccess}, {Local(layer)})"));
            w.WriteLine($"{Parallel}.LinearShard.AttachAll({pairs});");
        }
        foreach (var table in tables)
            w.WriteLine(WhenCut(table, $"this.{table.MemberAccess}!.UseShard({Local(table)});"));
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

    /// <summary>
    /// <c>new TensorParallelAttribute(Split.Row) { ReduceResults = false }</c>: the layer's split and the options that
    /// differ from the defaults, for the runtime to resolve against the same contract.
    /// </summary>
    private static string Attribute(LayerSpec layer)
    {
        var defaults = LayerOptions.Defaults;
        var written = SplitContracts.For(layer.Split).Options
            .Where(option => layer.Options.Get(option) != defaults.Get(option))
            .Select(option => $"{LayerOptions.Name(option)} = {Bool(layer.Options.Get(option))}")
            .ToArray();
        string text = $"new {Runtime}.TensorParallelAttribute({Runtime}.Split.{layer.Split})";
        return written.Length == 0 ? text : text + " { " + string.Join(", ", written) + " }";
    }

    // The shard's local name in ShardFrom; a prefix keeps it clear of parameters and keywords.
    private static string Local(LayerSpec layer) => "shard" + layer.MemberName;

    internal static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Bool(bool value) => value ? "true" : "false";

    internal static string Literal(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
