using TpCodegen.Collectives;
using TpCodegen.Parallel;

namespace TpCodegen.Models;

/// <summary>
/// GPT-2 written once, dense: token and learned position embeddings, decoder layers, final LayerNorm, and a head tied to
/// the token embedding. Sharded, the token embedding is split by vocabulary (one all-reduce) and its shard serves the
/// tied head too; positions and norms are replicated.
/// </summary>
public sealed class Gpt2Model : ICausalLanguageModel
{
    public Gpt2Model(Gpt2Config config)
    {
        Config = config.Validate();
        EmbeddingAndHead = new EmbeddingAndHead(config.Vocabulary, config.Hidden, tied: true);
        Positions = new Embedding(config.Positions, config.Hidden);
        Layers = Enumerable.Range(0, config.Layers).Select(_ => new Gpt2Block(config)).ToArray();
        FinalNorm = new LayerNorm(config.Hidden, config.LayerNormEps);
    }

    public Gpt2Config Config { get; }

    /// <summary>The token embedding with its tied head, a generated module: split by vocabulary id.</summary>
    public EmbeddingAndHead EmbeddingAndHead { get; }

    /// <summary><c>wte</c>: split by vocabulary when sharded; also the tied head.</summary>
    public Embedding Tokens => EmbeddingAndHead.Embed;

    /// <summary><c>wpe</c>: learned positions, replicated.</summary>
    public Embedding Positions { get; }

    public IReadOnlyList<Gpt2Block> Layers { get; }

    public LayerNorm FinalNorm { get; }

    public string Architecture => "GPT2LMHeadModel";

    public int Vocabulary => Config.Vocabulary;

    public int MaxPositions => Config.Positions;

    public IReadOnlyList<int> EosTokens => Config.EosTokens;

    public ProcessGroup Group { get; private set; } = SingleRankGroup.Instance;

    public DTensor Forward(ReadOnlySpan<int> ids, SequenceBatch batch, DecoderCache? cache, LogitRows rows = LogitRows.All)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (ids.Length != batch.Tokens)
            throw new ArgumentException($"GPT-2: {ids.Length} ids for a batch of {batch.Tokens} tokens.", nameof(ids));
        foreach (int position in batch.Positions)
            if (position >= Config.Positions)
                throw new ArgumentOutOfRangeException(nameof(batch), position, $"GPT-2 learns {Config.Positions} positions (n_positions); position {position} has no embedding.");
        var x = Tokens.Forward(ids, Group) + Positions.Forward(batch.Positions, Group);
        for (int i = 0; i < Layers.Count; i++)
            x = Layers[i].Forward(x, new AttentionContext(batch, cache?.Layers[i], Rope: null));
        return Tokens.Logits(FinalNorm.Forward(LogitRowSelection.Select(x, batch, rows)));
    }

    public DecoderCache CreateCache(int slots, int capacity) =>
        DecoderCache.Create(Layers.Count, slots, capacity, Config.Heads / Group.Size, Config.HeadDim);

    /// <summary>Makes this model rank <c>group.Rank</c>'s shard of <paramref name="dense"/> (built with the same config).</summary>
    public void ShardFrom(Gpt2Model dense, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(group);
        EmbeddingAndHead.ShardFrom(dense.EmbeddingAndHead, group);
        Positions.SetWeights(dense.Positions.Weight);
        for (int i = 0; i < Layers.Count; i++)
        {
            var (mine, theirs) = (Layers[i], dense.Layers[i]);
            mine.Attention.ShardFrom(theirs.Attention, group);
            mine.Mlp.ShardFrom(theirs.Mlp, group);
            CopyNorm(theirs.Ln1, mine.Ln1);
            CopyNorm(theirs.Ln2, mine.Ln2);
        }
        CopyNorm(dense.FinalNorm, FinalNorm);
        Group = group;
    }

    /// <summary>Makes this model rank <c>group.Rank</c>'s shard of a GPT-2 Hugging Face checkpoint (with or without the <c>transformer.</c> prefix).</summary>
    public void Load(ICheckpointShardSource checkpoint, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(group);
        var names = Gpt2Names.For(checkpoint);
        var view = names.View(checkpoint);
        EmbeddingAndHead.Load(checkpoint, group, names.Root + "wte.weight", head: null);
        var positions = new float[(long)Config.Positions * Config.Hidden];
        checkpoint.ReadBlock(names.Root + "wpe.weight", Config.Positions, Config.Hidden, 0, Config.Positions, 0, Config.Hidden, positions);
        Positions.SetWeights(positions);
        for (int i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            layer.Attention.ShardFrom(view, group, names.Layer(i) + "attn.");
            layer.Mlp.ShardFrom(view, group, names.Layer(i) + "mlp.");
            layer.Ln1.Load(checkpoint, names.Layer(i) + "ln_1.");
            layer.Ln2.Load(checkpoint, names.Layer(i) + "ln_2.");
        }
        FinalNorm.Load(checkpoint, names.Root + "ln_f.");
        Group = group;
    }

    private static void CopyNorm(LayerNorm from, LayerNorm to)
    {
        from.Weight.CopyTo(to.Weight, 0);
        from.Bias.CopyTo(to.Bias, 0);
    }
}
