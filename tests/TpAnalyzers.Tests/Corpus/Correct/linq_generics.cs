using System;
using System.Collections.Generic;
using System.Linq;
using TpCodegen;
using TpCodegen.Collectives;

public interface IBlock
{
    DTensor Forward(DTensor x);
    string Name { get; }
}

public sealed partial class FfnBlock(int hidden, int ffn, string name) : IBlock
{
    [TensorParallel(Split.Column)] public Linear In { get; } = new(hidden, ffn, bias: false);
    [TensorParallel(Split.Row)] public Linear Out { get; } = new(ffn, hidden, bias: false);
    public RmsNorm Norm { get; } = new(hidden);
    public string Name { get; } = name;
    public DTensor Forward(DTensor x) => x + Out.Forward(Ops.Silu(In.Forward(Norm.Forward(x))));
}

public sealed class Stack<TBlock> where TBlock : class, IBlock
{
    private readonly List<TBlock> _blocks;
    public Stack(IEnumerable<TBlock> blocks) => _blocks = blocks.ToList();
    public IReadOnlyList<TBlock> Blocks => _blocks;
    public TBlock First => _blocks[0];
    public TBlock this[int i] => _blocks[i];

    public DTensor Forward(DTensor x) => _blocks.Aggregate(x, static (h, b) => b.Forward(h));

    public (DTensor Output, int Layers) ForwardCounted(DTensor x)
    {
        int count = 0;
        var h = x;
        foreach (var block in _blocks.Where(b => !b.Name.StartsWith("skip")))
        {
            h = block.Forward(h);
            count++;
        }
        return (h, count);
    }

    public IEnumerable<(string Name, DTensor Output)> Intermediates(DTensor x)
    {
        var h = x;
        foreach (var (block, index) in _blocks.Select((b, i) => (b, i)))
        {
            h = block.Forward(h);
            yield return ($"{index}:{block.Name}", h);
        }
    }
}

public static class Helpers
{
    public static T Pick<T>(IReadOnlyList<T> items, Func<T, bool> predicate) where T : notnull => items.First(predicate);

    public static DTensor RunTwice<TBlock>(TBlock block, DTensor x) where TBlock : IBlock
    {
        return Apply(block, Apply(block, x));
        static DTensor Apply(TBlock b, DTensor v) => b.Forward(v);
    }

    public static void Report(Stack<FfnBlock> stack, DTensor x, ProcessGroup tp)
    {
        var (y, layers) = stack.ForwardCounted(x);
        var norms = stack.Intermediates(x).Select(p => (p.Name, Norm: MathF.Sqrt(p.Output.LocalSpan.ToArray().Sum(v => v * v)))).ToList();
        var twice = RunTwice(stack.First, y);
        var chosen = Pick(stack.Blocks, b => b.Name == "mid");
        var z = chosen.Forward(twice);
        if (tp.Rank == 0)
            foreach (var (name, norm) in norms) Console.WriteLine($"{name}: {norm:F4} ({layers} layers, {z.Tokens} tokens)");
    }
}
