using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TpCodegen.Analyzers.Flow
{
    internal enum LayerSplit
    {
        /// <summary>A Linear member without [TensorParallel]: dense, Replicate to Replicate.</summary>
        None,
        Column,
        Row,
    }

    /// <summary>
    /// A property or field of type Linear and what its [TensorParallel] attribute makes of its Forward:
    /// Column: Replicate to ShardLast (Replicate with GatherOutput); Row: ShardLast (Replicate without
    /// InputIsParallel) to Replicate (PartialSum without ReduceResults); unmarked: Replicate to Replicate.
    /// </summary>
    internal sealed class LayerInfo
    {
        private LayerInfo(string name, LayerSplit split, bool gatherOutput, bool inputIsParallel, bool reduceResults, long? outFeatures, SyntaxReference? attribute)
        {
            Name = name;
            Split = split;
            GatherOutput = gatherOutput;
            InputIsParallel = inputIsParallel;
            ReduceResults = reduceResults;
            OutFeatures = outFeatures;
            Attribute = attribute;
        }

        public string Name { get; }

        public LayerSplit Split { get; }

        public bool GatherOutput { get; }

        public bool InputIsParallel { get; }

        public bool ReduceResults { get; }

        /// <summary>The layer's output features when its initializer gives them as a constant.</summary>
        public long? OutFeatures { get; }

        /// <summary>The [TensorParallel] attribute in source, for code fixes that edit it.</summary>
        public SyntaxReference? Attribute { get; }

        public Layout Input => Split switch
        {
            LayerSplit.Row => InputIsParallel ? Layout.ShardLast : Layout.Replicate,
            _ => Layout.Replicate,
        };

        public Layout Output => Split switch
        {
            LayerSplit.Column => GatherOutput ? Layout.Replicate : Layout.ShardLast,
            LayerSplit.Row => ReduceResults ? Layout.Replicate : Layout.PartialSum,
            _ => Layout.Replicate,
        };

        /// <summary>"column layer 'Gate'", "row layer 'Down'", "dense layer 'Proj'".</summary>
        public string Display => Split switch
        {
            LayerSplit.Column => "column layer '" + Name + "'",
            LayerSplit.Row => "row layer '" + Name + "'",
            _ => "dense layer '" + Name + "'",
        };

        public string OutputOrigin => Split switch
        {
            LayerSplit.Column when GatherOutput => "the gathered output of " + Display,
            LayerSplit.Row when !ReduceResults => "the output of " + Display + " with ReduceResults = false",
            _ => "the output of " + Display,
        };

        public static LayerInfo From(ISymbol member, KnownTypes types, SemanticModel? model)
        {
            var split = LayerSplit.None;
            bool gather = false, inputIsParallel = true, reduce = true;
            SyntaxReference? attributeSyntax = null;
            foreach (var attribute in member.GetAttributes())
            {
                if (!KnownTypes.Is(attribute.AttributeClass, types.TensorParallelAttribute)) continue;
                attributeSyntax = attribute.ApplicationSyntaxReference;
                if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int splitValue)
                    split = splitValue == 0 ? LayerSplit.Column : splitValue == 1 ? LayerSplit.Row : LayerSplit.None;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Value.Value is not bool flag) continue;
                    switch (named.Key)
                    {
                        case "GatherOutput": gather = flag; break;
                        case "InputIsParallel": inputIsParallel = flag; break;
                        case "ReduceResults": reduce = flag; break;
                    }
                }
            }
            return new LayerInfo(member.Name, split, gather, inputIsParallel, reduce, ReadOutFeatures(member, model), attributeSyntax);
        }

        /// <summary>
        /// The second argument of the member's initializer (<c>new Linear(in, out)</c> or <c>new(in, out)</c>) when it is
        /// a constant. Constants other than literals are read only when the declaration is in the tree being analysed
        /// (an analyzer may not ask the compilation for other semantic models).
        /// </summary>
        private static long? ReadOutFeatures(ISymbol member, SemanticModel? model)
        {
            var reference = member.DeclaringSyntaxReferences.FirstOrDefault();
            if (reference is null) return null;
            var node = reference.GetSyntax();
            var initializer = node switch
            {
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                _ => null,
            };
            var arguments = initializer switch
            {
                BaseObjectCreationExpressionSyntax creation => creation.ArgumentList?.Arguments,
                _ => null,
            };
            if (arguments is not { } list) return null;
            ExpressionSyntax? outArgument = null;
            for (int i = 0; i < list.Count; i++)
            {
                var argument = list[i];
                if (argument.NameColon is { } name)
                {
                    if (name.Name.Identifier.ValueText == "outFeatures") outArgument = argument.Expression;
                }
                else if (i == 1)
                {
                    outArgument = argument.Expression;
                }
            }
            if (outArgument is null) return null;
            object? value = null;
            if (model is not null && model.SyntaxTree == outArgument.SyntaxTree)
            {
                var constant = model.GetConstantValue(outArgument);
                if (constant.HasValue) value = constant.Value;
            }
            else if (outArgument is LiteralExpressionSyntax literal)
            {
                value = literal.Token.Value;
            }
            return value is int features && features > 0 ? features : null;
        }
    }
}
