using TpCodegen.Analyzers.Tests.Verifiers;
using Fix = TpCodegen.Analyzers.Tests.Verifiers.CodeFixVerifier<TpCodegen.Analyzers.Rules.UnsupportedTensorParallelTargetAnalyzer, TpCodegen.Analyzers.CodeFixes.AddPartialCodeFix>;
using Verify = TpCodegen.Analyzers.Tests.Verifiers.AnalyzerVerifier<TpCodegen.Analyzers.Rules.UnsupportedTensorParallelTargetAnalyzer>;

namespace TpCodegen.Analyzers.Tests.Rules;

public sealed class UnsupportedTensorParallelTargetTests
{
    private const string Usings = "using TpCodegen;\n";

    [Fact]
    public Task Member_that_is_not_a_Linear_is_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            [TensorParallel(Split.Column)] public float[] {|#0:Gate|} { get; } = new float[4];
        }
        """,
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(0)
            .WithArguments("Mlp.Gate", "its type is 'float[]', not TpCodegen.Linear or TpCodegen.Embedding"));

    [Fact]
    public Task Generic_struct_interface_and_static_targets_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Mlp<T>
        {
            [TensorParallel(Split.Column)] public Linear {|#0:Gate|} { get; } = new(4, 8);
        }

        public partial struct Block
        {
            [TensorParallel(Split.Row)] public Linear {|#1:Down|};
        }

        public partial class Shared
        {
            [TensorParallel(Split.Column)] public static Linear {|#2:Up|} { get; } = new(4, 8);
        }

        public static partial class Layers
        {
            [TensorParallel(Split.Column)] public static Linear {|#3:Up|} = new(4, 8);
        }
        """,
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(0)
            .WithArguments("Mlp.Gate", "'Mlp<T>' is generic, and the generator emits code for closed module types only"),
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(1)
            .WithArguments("Block.Down", "'Block' is a struct, and a module must be a class that shards in place"),
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(2)
            .WithArguments("Shared.Up", "'Up' is static, and the generator shards a module instance's layers"),
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(3)
            .WithArguments("Layers.Up", "'Up' is static, and the generator shards a module instance's layers"));

    [Fact]
    public Task Supported_modules_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public partial class LlamaMlp(int hidden, int intermediate)
        {
            [TensorParallel(Split.Column)] public Linear Gate { get; } = new(hidden, intermediate);
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(hidden, intermediate);
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(intermediate, hidden);
            // Unmarked members of any type are none of the rule's business.
            public float[] Scratch { get; } = new float[4];
        }

        public partial class Outer
        {
            public sealed partial class Attention
            {
                [TensorParallel(Split.Column)] private readonly Linear _qkv = new(8, 24);
                [TensorParallel(Split.Row)] internal Linear Output = new(8, 8);
                public Linear Qkv => _qkv;
            }
        }
        """);

    // The generator shards a module class nested in a struct or a static class (it only re-opens them as partials; the
    // NestedTypes snapshot shows the code): the rule asks the generator's own check and must stay silent here.
    [Fact]
    public Task Module_classes_inside_a_struct_or_a_static_class_are_not_flagged() => Verify.VerifyAsync(Usings + """
        public static partial class Models
        {
            public partial struct Config
            {
                public partial class Mlp
                {
                    [TensorParallel(Split.Column)] public Linear Up { get; } = new(4, 8);
                    [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);
                }
            }
        }
        """);

    [Fact]
    public Task Members_the_generator_cannot_read_are_flagged() => Verify.VerifyAsync(Usings + """
        public partial class Mlp
        {
            private Linear _up = new(4, 8);
            [TensorParallel(Split.Column)] public Linear {|#0:Up|} { set => _up = value; }
            [TensorParallel((Split)7)] public Linear {|#1:Gate|} { get; } = new(4, 8);
        }
        """,
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(0)
            .WithArguments("Mlp.Up", "'Up' has no getter, and the generated code reads the layer through it"),
        Verify.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(1)
            .WithArguments("Mlp.Gate", "its split (7) is not a value of TpCodegen.Split"));

    [Fact]
    public Task Fix_makes_the_module_partial() => Fix.VerifyCodeFixAsync(Usings + """
        public sealed class Mlp
        {
            [TensorParallel(Split.Column)] public Linear {|#0:Up|} { get; } = new(4, 8);
        }

        class Block
        {
            [TensorParallel(Split.Row)] public Linear {|#1:Down|} { get; } = new(8, 4);
        }
        """,
        [
            Fix.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(0)
                .WithArguments("Mlp.Up", "'Mlp' is not partial, so generated code cannot extend it; declare it partial"),
            Fix.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(1)
                .WithArguments("Block.Down", "'Block' is not partial, so generated code cannot extend it; declare it partial"),
        ],
        Usings + """
        public sealed partial class Mlp
        {
            [TensorParallel(Split.Column)] public Linear Up { get; } = new(4, 8);
        }

        partial class Block
        {
            [TensorParallel(Split.Row)] public Linear Down { get; } = new(8, 4);
        }
        """);

    [Fact]
    public Task Fix_makes_every_enclosing_class_partial() => Fix.VerifyCodeFixAsync(Usings + """
        public class Model
        {
            public partial class Mlp
            {
                [TensorParallel(Split.Column)] public Linear {|#0:Up|} { get; } = new(4, 8);
            }
        }
        """,
        [
            Fix.Diagnostic(Descriptors.UnsupportedTensorParallelTarget).WithLocation(0)
                .WithArguments("Mlp.Up", "'Model' is not partial, so generated code cannot extend it; declare it partial"),
        ],
        Usings + """
        public partial class Model
        {
            public partial class Mlp
            {
                [TensorParallel(Split.Column)] public Linear Up { get; } = new(4, 8);
            }
        }
        """);
}
