using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests;

/// <summary>What a sharded layer holds (its packed weight, native memory) is released when the layer is disposed.</summary>
public sealed class DisposeTests
{
    [Fact]
    public void Disposing_a_sharded_layer_releases_its_shard_and_later_use_fails_clearly()
    {
        var dense = new ColumnModule(8, 12, bias: true);
        var outcomes = InProcessWorld.Run(2, group =>
        {
            var module = new ColumnModule(8, 12, bias: true);
            module.ShardFrom(dense, group);
            var x = DTensor.FromArray(new float[3 * 8], 3, 8, Placement.Replicate, group);
            var before = module.Layer.Forward(x).LocalFeatures;
            module.Layer.Dispose();
            module.Layer.Dispose(); // a second dispose is harmless
            var after = Record.Exception(() => module.Layer.Forward(x));
            return (before, after);
        });
        Assert.All(outcomes, o =>
        {
            Assert.Equal(6, o.before);
            var disposed = Assert.IsType<ObjectDisposedException>(o.after);
            Assert.Contains("PackedWeight", disposed.Message);
        });
    }

    [Fact]
    public void Disposing_a_dense_layer_is_harmless()
    {
        var layer = new Linear(4, 4);
        layer.Dispose();
        var y = layer.Forward(DTensor.Replicated(System.Numerics.Tensors.Tensor.Create(new float[4], [1, 4])));
        Assert.Equal(4, y.Features);
    }
}
