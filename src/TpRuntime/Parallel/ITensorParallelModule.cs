using TpCodegen.Collectives;

namespace TpCodegen.Parallel;

/// <summary>
/// A module whose <see cref="Linear"/> members carry <see cref="TensorParallelAttribute"/>. The TpCodegen generator
/// implements it on the module's partial class; the module's own Forward then runs sharded unchanged.
/// </summary>
/// <remarks>
/// The generator also emits <c>ShardFrom(TModule dense, ProcessGroup group)</c>, typed to the module, which cuts rank
/// <c>group.Rank</c>'s shard of every marked layer out of a dense module and attaches it (<see cref="Linear.UseShard"/>).
/// Because <see cref="Linear"/> creates its weights on first use, a module built on each rank only to be sharded never
/// allocates its dense weights.
/// </remarks>
public interface ITensorParallelModule
{
    /// <summary>
    /// Attaches to every marked layer rank <c>group.Rank</c>'s shard read from <paramref name="source"/>, where layer
    /// <c>Gate</c>'s tensors are named <c>prefix + "Gate.weight"</c> (<c>[in, out]</c>) and <c>prefix + "Gate.bias"</c>
    /// (<c>[1, out]</c>). Every layer is checked and read before any is attached.
    /// </summary>
    void ShardFrom(ICheckpointShardSource source, ProcessGroup group, string prefix = "");

    /// <summary>
    /// Per marked layer: split, options, global and local shapes, and the collectives one forward runs for
    /// <paramref name="tokens"/> tokens at tensor-parallel degree <paramref name="tp"/>, with their byte counts.
    /// </summary>
    TensorParallelPlan GetPlan(int tp, int tokens);
}
