namespace TpCodegen.Generator.Tests;

/// <summary>Representative inputs: one snapshot folder each under Snapshots/.</summary>
internal static class GeneratorInputs
{
    private const string Usings = """
        using TpCodegen;

        """;

    public static readonly IReadOnlyDictionary<string, string> Cases = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["Column"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Column)] public Linear Proj { get; } = new(12, 36);
            }
            """,
        ["ColumnGather"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Column, GatherOutput = true)] public Linear Proj { get; } = new(12, 36);
            }
            """,
        ["ColumnNoBias"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Column)] public Linear Proj { get; } = new Linear(12, 36, bias: false);
            }
            """,
        ["ColumnSkipBiasAdd"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Column, SkipBiasAdd = true)] public Linear Proj { get; } = new(12, 36);
            }
            """,
        ["Row"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Row)] public Linear Proj { get; } = new(36, 12);
            }
            """,
        ["RowNoBias"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Row)] public Linear Proj { get; } = new(36, 12, false);
            }
            """,
        ["RowScatterInput"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Row, InputIsParallel = false)] public Linear Proj { get; } = new(36, 12);
            }
            """,
        ["RowNoReduce"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Row, ReduceResults = false)] public Linear Proj { get; } = new(36, 12);
            }
            """,
        ["RowSkipBiasAdd"] = Usings + """
            namespace Demo;

            public partial class Projection
            {
                [TensorParallel(Split.Row, SkipBiasAdd = true)] public Linear Proj { get; } = new(36, 12);
            }
            """,
        ["LlamaMlp"] = Usings + """
            namespace Demo;

            public partial class LlamaMlp(int hidden, int intermediate)
            {
                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate, bias: false);
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate, bias: false);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden, bias: false);

                public DTensor Forward(DTensor x) => Down.Forward(Ops.Silu(Gate.Forward(x)) * Up.Forward(x));
            }
            """,
        ["Attention"] = Usings + """
            namespace Demo
            {
                /// <summary>The projections of multi-head attention; fields, not properties.</summary>
                public partial class AttentionProjections
                {
                    [TensorParallel(Split.Column)] public readonly Linear Q = new(64, 64);
                    [TensorParallel(Split.Column)] public readonly Linear K = new(64, 64), V = new(64, 64);
                    [TensorParallel(Split.Row)] public readonly Linear O = new(64, 64);
                }
            }
            """,
        ["NestedTypes"] = Usings + """
            namespace Models.Blocks
            {
                public static partial class Transformer
                {
                    internal partial record struct Config
                    {
                        public sealed partial class Mlp
                        {
                            [TensorParallel(Split.Column)] internal Linear @in = new(8, 24);
                            [TensorParallel(Split.Row)] internal Linear @out { get; set; } = new(24, 8);
                        }
                    }
                }
            }
            """,
        ["ConstantShapes"] = Usings + """
            namespace Demo;

            public partial class Llama7bMlp
            {
                private const int Hidden = 4096;
                private const int Intermediate = 11008;

                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(Hidden, Intermediate, bias: false);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new Linear(inFeatures: Intermediate, outFeatures: Hidden, bias: false);
            }
            """,
        ["GlobalNamespace"] = Usings + """
            public partial class Mlp
            {
                private readonly int _hidden;

                public Mlp(int hidden)
                {
                    _hidden = hidden;
                    Up = new Linear(hidden, 4 * hidden);
                    Down = new Linear(4 * hidden, hidden);
                }

                [TensorParallel(Split.Column)] public Linear Up { get; }
                [TensorParallel(Split.Row)] public Linear Down { get; }
            }
            """,
        // Attention as models write it: heads and key/value heads declared on the layers' layouts, sizes from a config.
        ["HeadAttention"] = Usings + """
            namespace Demo;

            public sealed record AttentionConfig(int Hidden, int Heads, int KvHeads, int HeadDim);

            public sealed partial class GroupedQueryAttention(AttentionConfig c)
            {
                [TensorParallel(Split.Column)]
                public Linear Q { get; } = new(c.Hidden, c.Heads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "q") };

                [TensorParallel(Split.Column)]
                public Linear K { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "k") };

                [TensorParallel(Split.Column)]
                public Linear V { get; } = new(c.Hidden, c.KvHeads * c.HeadDim, bias: false) { OutputLayout = FeatureLayout.KeyValueHeads(c.KvHeads, c.HeadDim, "v") };

                [TensorParallel(Split.Row)]
                public Linear O { get; } = new(c.Heads * c.HeadDim, c.Hidden, bias: false) { InputLayout = FeatureLayout.Heads(c.Heads, c.HeadDim, "o") };
            }
            """,
        // GPT-2's c_attn: q, k and v side by side in one weight, cut per segment; c_proj by rows.
        ["FusedQkv"] = Usings + """
            namespace Demo;

            public partial class FusedAttention(int hidden, int heads)
            {
                [TensorParallel(Split.Column)]
                public Linear CAttn { get; } = new(hidden, 3 * hidden) { OutputLayout = FeatureLayout.Qkv(heads, heads, hidden / heads) };

                [TensorParallel(Split.Row)]
                public Linear CProj { get; } = new(hidden, hidden) { InputLayout = FeatureLayout.Heads(heads, hidden / heads) };
            }
            """,
        // A vocabulary-parallel embedding and LM head: runtime shards (lookup; GEMM and padding mask), generated wiring.
        ["VocabParallel"] = Usings + """
            namespace Demo;

            public partial class TokenIo
            {
                [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(50257, 768);

                [TensorParallel(Split.Vocab)] public Linear Head { get; } = new(768, 50257, bias: false);
            }
            """,
        // An optional (nullable) head: null when tied to the embedding, and then neither sharded nor planned.
        ["OptionalHead"] = Usings + """
            #nullable enable
            namespace Demo;

            public partial class CausalLmIo(int vocabulary, int hidden, bool tied)
            {
                [TensorParallel(Split.Vocab)] public Embedding Embed { get; } = new(vocabulary, hidden);

                [TensorParallel(Split.Vocab)] public Linear? Head { get; } = tied ? null : new(hidden, vocabulary, bias: false);
            }
            """,
        // A module derived from a module: its generated members override the base's, and shard the base's layers too.
        ["Inheritance"] = Usings + """
            namespace Demo;

            public partial class MlpBase
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(8, 32);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(32, 8);
            }

            public sealed partial class GatedMlp : MlpBase
            {
                [TensorParallel(Split.Column)] public Linear Gate { get; } = new(8, 32);
            }
            """,
        // A namespace segment that is a keyword must be written back with its @.
        ["KeywordNamespace"] = Usings + """
            namespace @event.Models;

            public partial class @class
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(8, 16);
                [TensorParallel(Split.Row)] public Linear Down { get; } = new(16, 8);
            }
            """,
        // Names that C# resolves to a primary-constructor parameter or a base type's member, not to the outer consts of
        // the same name: the generator must not bake the outer constants, it reads those shapes from the layer.
        ["ShadowedConstants"] = Usings + """
            namespace Demo;

            public class BlockBase
            {
                protected static readonly int Width = 24;
            }

            public partial class Outer
            {
                private const int Hidden = 64;
                private const int Width = 32;
                private const int Heads = 4;

                public partial class Block(int Hidden) : BlockBase
                {
                    [TensorParallel(Split.Column)] public Linear Up { get; } = new(Hidden, Width);
                    [TensorParallel(Split.Row)] public Linear Down { get; } = new(Width, Heads);
                }
            }
            """,
    };

    /// <summary>Inputs the generator must leave alone (the analyzers explain them): no generated source at all.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unsupported = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["NotPartial"] = Usings + "public class M { [TensorParallel(Split.Column)] public Linear A { get; } = new(4, 8); }",
        ["ContainerNotPartial"] = Usings + "public class Outer { public partial class M { [TensorParallel(Split.Column)] public Linear A { get; } = new(4, 8); } }",
        ["GenericModule"] = Usings + "public partial class M<T> { [TensorParallel(Split.Column)] public Linear A { get; } = new(4, 8); }",
        ["NotALinear"] = Usings + "public partial class M { [TensorParallel(Split.Column)] public object A { get; } = new(); }",
        ["StaticMember"] = Usings + "public partial class M { [TensorParallel(Split.Column)] public static Linear A { get; } = new(4, 8); }",
        ["StructModule"] = Usings + "public partial struct M { [TensorParallel(Split.Column)] public Linear A { get; } }",
        ["InterfaceModule"] = Usings + "public partial interface M { [TensorParallel(Split.Column)] Linear A { get; } }",
        ["SetOnlyProperty"] = Usings + "public partial class M { private Linear _a = new(4, 8); [TensorParallel(Split.Column)] public Linear A { set => _a = value; } }",
        ["EmbeddingByColumns"] = Usings + "public partial class M { [TensorParallel(Split.Column)] public Embedding E { get; } = new(10, 4); }",
        ["UnknownSplit"] = Usings + "public partial class M { [TensorParallel((Split)7)] public Linear A { get; } = new(4, 8); }",
    };
}
