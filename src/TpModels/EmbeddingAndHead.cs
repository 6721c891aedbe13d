using TpCodegen.Checkpoints;
using TpCodegen.Collectives;
using TpCodegen.Parallel;

namespace TpCodegen.Models;

/// <summary>
/// The two layers of a language model that touch the vocabulary, written with attributes like any module: the token
/// embedding and the LM head, both split by vocabulary id (padded when the degree does not divide it). The head is
/// optional: null when it is tied to the embedding (<c>tie_word_embeddings</c>), whose shard then serves both. The
/// generator emits the sharding (<c>ShardFrom</c>) and the plan (<c>GetPlan</c>).
/// </summary>
public sealed partial class EmbeddingAndHead(int vocabulary, int hidden, bool tied)
{
    [TensorParallel(Split.Vocab)]
    public Embedding Embed { get; } = new(vocabulary, hidden);

    [TensorParallel(Split.Vocab)]
    public Linear? Head { get; } = tied ? null : new(hidden, vocabulary, bias: false);

    /// <summary>The logits of <paramref name="hidden"/> (Replicate): the head's, or the tied embedding's; Shard(-1) over the vocabulary when sharded.</summary>
    public DTensor Logits(DTensor hidden) => Head is null ? Embed.Logits(hidden) : Head.Forward(hidden);

    /// <summary>
    /// Rank <c>group.Rank</c>'s shards read from a checkpoint that names the embedding table <paramref name="embedding"/>
    /// (<c>[vocabulary, hidden]</c>) and the head <paramref name="head"/> (<c>[vocabulary, hidden]</c>, as <c>nn.Linear</c>
    /// stores it), through the generated <c>ShardFrom</c>: only this rank's rows and columns are read.
    /// </summary>
    public void Load(ICheckpointShardSource checkpoint, ProcessGroup group, string embedding, string? head)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(embedding);
        if (Head is not null && head is null)
            throw new ArgumentException($"An untied LM head needs its tensor's name in the checkpoint ({checkpoint}).", nameof(head));
        var view = new MappedCheckpoint(checkpoint, name => name switch
        {
            "Embed.weight" => new StoredTensor(embedding, Transposed: false),
            "Head.weight" when head is not null => new StoredTensor(head, Transposed: true),
            _ => null,
        });
        ShardFrom(view, group);
    }
}
