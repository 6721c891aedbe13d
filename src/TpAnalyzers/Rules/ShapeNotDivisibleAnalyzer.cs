// TP0014 — a constant shape that the tensor-parallel degree does not divide.
// A Column layer splits its output features into tp equal slices and a Row layer its input features; attention
// splits its heads. With constant sizes and a constant degree the mismatch is known at compile time, yet today it
// surfaces only when the module is sharded on the cluster. The degree comes from the module's const
// TensorParallelDegree/TpDegree, the MSBuild property TpDegree, or DeviceMesh.Create(world, dp, <const>) (see Degrees).
// Sizes a module's constructor takes are checked where the module is made with constants: new LlamaMlp(4096, 11008).
using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TpCodegen.Analyzers.Toolkit;
using TpCodegen.Contract;
using TpCodegen.Roslyn;

namespace TpCodegen.Analyzers.Rules;

[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShapeNotDivisibleAnalyzer : DegreeRuleAnalyzer
{
    // The head counts a module may declare as constants (Llama, GPT-NeoX and Hugging Face config spellings).
    private static readonly ImmutableHashSet<string> HeadConstants = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Heads", "NumHeads", "NumAttentionHeads", "AttentionHeads", "NumKeyValueHeads", "KeyValueHeads", "NumKvHeads", "KvHeads");

    // Key/value heads may also be replicated when the degree is a multiple of them (grouped-query attention).
    private static readonly ImmutableHashSet<string> KeyValueHeadConstants = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase, "NumKeyValueHeads", "KeyValueHeads", "NumKvHeads", "KvHeads");

    /// <summary>A head-count constant this rule checks where it is declared (TP0019 leaves it alone).</summary>
    internal static bool IsHeadConstant(IFieldSymbol field, INamedTypeSymbol module) =>
        field.IsConst && HeadConstants.Contains(field.Name) && SymbolEqualityComparer.Default.Equals(field.ContainingType, module);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ShapeNotDivisibleByDegree);

    private protected override void Register(CompilationStartAnalysisContext start, KnownTypes types, StatedDegrees degrees)
    {
        SourceOperationActions.RegisterOperationAction(
            start,
            c => AnalyzeLayer(c, types, degrees),
            OperationKind.PropertyInitializer, OperationKind.FieldInitializer, OperationKind.SimpleAssignment);
        start.RegisterSymbolAction(c => AnalyzeHeads(c, types, degrees), SymbolKind.NamedType);
        SourceOperationActions.RegisterOperationAction(start, c => AnalyzeConstruction(c, types, degrees), OperationKind.ObjectCreation);
    }

    private static void AnalyzeLayer(SourceOperationContext context, KnownTypes types, StatedDegrees degrees)
    {
        foreach (var creation in LinearCreation.From(context.Operation, types))
        {
            if (TensorParallelAttributeReader.Find(creation.Member)?.Split is not { } split) continue;
            var argument = DividedSize(creation, split);
            if (argument?.Value.ConstantValue is not { HasValue: true, Value: int size }) continue;
            Check(context, degrees, creation, split, size, argument.Value, $"{split.Name} layer '{creation.Member.Name}'");
        }
    }

    /// <summary>The argument of the dimension the contract says the split divides.</summary>
    private static IArgumentOperation? DividedSize(LinearCreation creation, SplitContract split) =>
        creation.Argument(split.Divides == DividedDimension.OutFeatures ? "outFeatures" : "inFeatures");

    private static void Check(SourceOperationContext context, StatedDegrees degrees, LinearCreation creation, SplitContract split, int size, IOperation written, string layer)
    {
        if (size < 1 || StatedDegrees.FirstRefused(degrees.For(creation.Member.ContainingType), d => split.AllowsDegree(size, d)) is not int degree) return;
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.ShapeNotDivisibleByDegree, written.Syntax.GetLocation(), layer, split.DividedName, size, degree, Degrees.ValidText(size)));
    }

    /// <summary>
    /// <c>new LlamaMlp(4096, 11008)</c>: a constant argument that a module's constructor hands to a layer's size
    /// (<c>new Linear(hidden, intermediate)</c> in an initializer or the constructor), flagged where it is written.
    /// </summary>
    private static void AnalyzeConstruction(SourceOperationContext context, KnownTypes types, StatedDegrees degrees)
    {
        var construction = (IObjectCreationOperation)context.Operation;
        if (construction.Constructor is not { } constructor || construction.Type is not INamedTypeSymbol module) return;
        if (KnownTypes.Is(module, types.Linear) || construction.Arguments.Length == 0) return;
        bool anyConstant = false;
        foreach (var argument in construction.Arguments) anyConstant |= argument.Value.ConstantValue.HasValue;
        if (!anyConstant) return;
        foreach (var creation in LinearCreation.OfModule(module, context.Compilation, types))
        {
            if (TensorParallelAttributeReader.Find(creation.Member)?.Split is not { } split) continue;
            if (ConstructorParameter(DividedSize(creation, split)?.Value, constructor, context.Compilation) is not { } parameter ||
                Calls.ConstantArgument(construction.Arguments, parameter) is not { Value.ConstantValue.Value: int value } given)
                continue;
            Check(context, degrees, creation, split, value, given.Value, $"{split.Name} layer '{creation.Member.Name}' of '{module.Name}' (its '{parameter.Name}')");
        }
    }

    /// <summary>
    /// The constructor parameter a size is: the parameter itself (<c>new(hidden, intermediate)</c>), or a field or
    /// property of the module that the constructor gives that parameter (<c>_intermediate = intermediate</c>).
    /// </summary>
    internal static IParameterSymbol? ConstructorParameter(IOperation? size, IMethodSymbol constructor, Compilation compilation)
    {
        ISymbol? member = Operations.Unwrap(size) switch
        {
            IParameterReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol, constructor) ? reference.Parameter : null,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => property.Property,
            _ => null,
        };
        if (member is not (IFieldSymbol or IPropertySymbol)) return member as IParameterSymbol;
        IParameterSymbol? found = null;
        foreach (var value in MemberValues.Of(member, compilation))
        {
            if (Operations.Unwrap(value) is not IParameterReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol, constructor)) return null;
            if (found is not null && !SymbolEqualityComparer.Default.Equals(found, reference.Parameter)) return null;
            found = reference.Parameter;
        }
        return found;
    }

    private static void AnalyzeHeads(SymbolAnalysisContext context, KnownTypes types, StatedDegrees degrees)
    {
        var module = (INamedTypeSymbol)context.Symbol;
        var members = module.GetMembers();
        // Only modules with tensor-parallel layers: a head count elsewhere is none of this rule's business.
        bool sharded = false;
        foreach (var member in members) sharded |= types.IsTensorParallelMember(member);
        if (!sharded) return;
        foreach (var member in members)
        {
            if (member is not IFieldSymbol { IsConst: true, ConstantValue: int heads } field || heads < 1 || !HeadConstants.Contains(field.Name) || field.Locations.Length == 0)
                continue;
            bool replicable = KeyValueHeadConstants.Contains(field.Name);
            if (StatedDegrees.FirstRefused(degrees.For(module), d => HeadDegrees.Allows(heads, d, replicable)) is not int degree) continue;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ShapeNotDivisibleByDegree, field.Locations[0], $"Module '{module.Name}'", field.Name, heads, degree, HeadDegrees.ValidText(heads, replicable)));
        }
    }
}
