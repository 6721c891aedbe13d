using TpCodegen.Collectives;
using TpCodegen.Parallel;

namespace TpCodegen.Models;

/// <summary>
/// A Llama-family decoder (Llama 2/3, Mistral, Qwen2) written once, dense: token embedding, decoder layers, final RMSNorm,
/// LM head (or the embedding, tied). <see cref="ShardFrom(LlamaModel, ProcessGroup)"/> or <see cref="Load"/> turn it into
/// one rank's shard of the whole model, and the same <see cref="Forward"/> runs: embedding split by vocabulary (one
/// all-reduce), attention by heads and MLP by columns then rows (one all-reduce each), logits split by vocabulary.
/// </summary>
public sealed class LlamaModel : ICausalLanguageModel
{
    private readonly RotaryEmbedding _rope;

    /// <param name="fuseProjections">Fuse q/k/v and gate/up into one GEMM per rank each (same numbers, fewer, larger GEMMs).</param>
    /// <param name="sequenceParallel">
    /// Split the residual stream by tokens between the blocks (Megatron's sequence parallelism): norms and residual adds run
    /// on each rank's tokens, all-gathers and reduce-scatters replace the all-reduces. Training and whole-sequence
    /// forwards; the token count must be a multiple of tp. Not combined with fused projections.
    /// </param>
    public LlamaModel(LlamaConfig config, bool fuseProjections = false, bool sequenceParallel = false)
    {
        Config = config.Validate();
        if (fuseProjections && sequenceParallel)
            throw new ArgumentException("Sequence parallelism is built on the unfused projections: pass fuseProjections: false.", nameof(sequenceParallel));
        Fused = fuseProjections;
        SequenceParallel = sequenceParallel;
        EmbeddingAndHead = new EmbeddingAndHead(config.Vocabulary, config.Hidden, tied: config.TieEmbeddings);
        Layers = Enumerable.Range(0, config.Layers).Select(_ => new LlamaBlock(config, fuseProjections, sequenceParallel)).ToArray();
        Norm = new RmsNorm(config.Hidden, config.RmsNormEps);
        _rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    public LlamaConfig Config { get; }

    /// <summary>Whether q/k/v and gate/up are fused.</summary>
    public bool Fused { get; }

    /// <summary>Whether the residual stream is split by tokens between the blocks.</summary>
    public bool SequenceParallel { get; }

    /// <summary>The token embedding and the LM head, a generated module: both split by vocabulary id.</summary>
    public EmbeddingAndHead EmbeddingAndHead { get; }

    public Embedding Embed => EmbeddingAndHead.Embed;

    public IReadOnlyList<LlamaBlock> Layers { get; }

    public RmsNorm Norm { get; }

    /// <summary>The LM head, or null when it is tied to <see cref="Embed"/>.</summary>
    public Linear? Head => EmbeddingAndHead.Head;

    public string Architecture => Config.Architecture;

    public int Vocabulary => Config.Vocabulary;

    public int MaxPositions => Config.MaxPositions;

    public IReadOnlyList<int> EosTokens => Config.EosTokens;

    public ProcessGroup Group { get; private set; } = SingleRankGroup.Instance;

    /// <summary>Key/value heads one rank holds at degree <paramref name="tp"/>: its share, or one replicated head.</summary>
    public int LocalKvHeads(int tp) => FeatureLayout.KeyValueHeads(Config.KvHeads, Config.HeadDim).LocalFeatures("K", Split.Column, tp) / Config.HeadDim;

    public DTensor Forward(ReadOnlySpan<int> ids, SequenceBatch batch, DecoderCache? cache, LogitRows rows = LogitRows.All)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (ids.Length != batch.Tokens)
            throw new ArgumentException($"{Architecture}: {ids.Length} ids for a batch of {batch.Tokens} tokens.", nameof(ids));
        if (cache is not null && cache.Layers.Count != Layers.Count)
            throw new ArgumentException($"{Architecture}: a cache of {cache.Layers.Count} layers for a model of {Layers.Count}.", nameof(cache));
        var x = Embed.Forward(ids, Group);
        if (SequenceParallel) x = x.Redistribute(Placement.Shard(-2));
        for (int i = 0; i < Layers.Count; i++)
            x = Layers[i].Forward(x, new AttentionContext(batch, cache?.Layers[i], _rope));
        // Under sequence parallelism the final norm runs on each rank's tokens, then the head needs them all.
        if (SequenceParallel) x = Norm.Forward(x).Redistribute(Placement.Replicate);
        var h = SequenceParallel ? LogitRowSelection.Select(x, batch, rows) : Norm.Forward(LogitRowSelection.Select(x, batch, rows));
        return EmbeddingAndHead.Logits(h);
    }

    public DecoderCache CreateCache(int slots, int capacity) =>
        DecoderCache.Create(Layers.Count, slots, capacity, LocalKvHeads(Group.Size), Config.HeadDim);

    /// <summary>Makes this model rank <c>group.Rank</c>'s shard of <paramref name="dense"/> (built with the same config).</summary>
    public void ShardFrom(LlamaModel dense, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(group);
        RequireSameShape(dense.Config, dense.Fused, dense.SequenceParallel);
        EmbeddingAndHead.ShardFrom(dense.EmbeddingAndHead, group);
        for (int i = 0; i < Layers.Count; i++)
        {
            var (mine, theirs) = (Layers[i], dense.Layers[i]);
            ShardModule(mine.Attention, theirs.Attention, group);
            ShardModule(mine.Mlp, theirs.Mlp, group);
            theirs.InputNorm.Weight.CopyTo(mine.InputNorm.Weight, 0);
            theirs.PostAttentionNorm.Weight.CopyTo(mine.PostAttentionNorm.Weight, 0);
        }
        dense.Norm.Weight.CopyTo(Norm.Weight, 0);
        Group = group;
    }

    /// <summary>
    /// Makes this model rank <c>group.Rank</c>'s shard of a Hugging Face checkpoint (Llama, Mistral and Qwen2 tensor names):
    /// each rank reads only its blocks of every tensor, and the replicated norms in full.
    /// </summary>
    public void Load(ICheckpointShardSource checkpoint, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(group);
        var view = LlamaNames.View(checkpoint);
        EmbeddingAndHead.Load(checkpoint, group, LlamaNames.Embedding, LlamaNames.Head);
        for (int i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            layer.Attention.ShardFrom(view, group, LlamaNames.Attention(i));
            layer.Mlp.ShardFrom(view, group, LlamaNames.Mlp(i));
            layer.InputNorm.Load(checkpoint, LlamaNames.Layer(i) + "input_layernorm.");
            layer.PostAttentionNorm.Load(checkpoint, LlamaNames.Layer(i) + "post_attention_layernorm.");
        }
        Norm.Load(checkpoint, LlamaNames.FinalNorm);
        Group = group;
    }

    // The generated ShardFrom(dense, group) is typed to each module class; the fused and plain forms are different classes.
    private static void ShardModule(ITensorParallelModule mine, ITensorParallelModule dense, ProcessGroup group)
    {
        switch (mine, dense)
        {
            case (LlamaAttention a, LlamaAttention b): a.ShardFrom(b, group); break;
            case (FusedLlamaAttention a, FusedLlamaAttention b): a.ShardFrom(b, group); break;
            case (LlamaMlp a, LlamaMlp b): a.ShardFrom(b, group); break;
            case (FusedLlamaMlp a, FusedLlamaMlp b): a.ShardFrom(b, group); break;
            case (SequenceParallelLlamaAttention a, SequenceParallelLlamaAttention b): a.ShardFrom(b, group); break;
            case (SequenceParallelLlamaMlp a, SequenceParallelLlamaMlp b): a.ShardFrom(b, group); break;
            default: throw new ArgumentException($"Cannot shard a {mine.GetType().Name} from a {dense.GetType().Name}.");
        }
    }

    private void RequireSameShape(LlamaConfig config, bool fused, bool sequenceParallel)
    {
        if (!config.SameShape(Config) || fused != Fused || sequenceParallel != SequenceParallel)
            throw new ArgumentException($"Cannot shard a {Architecture} model from one built with another config, fusion or sequence parallelism: {config} (fused: {fused}, sequence parallel: {sequenceParallel}) vs {Config} (fused: {Fused}, sequence parallel: {SequenceParallel}).");
    }
}
