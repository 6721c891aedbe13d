using TpCodegen.Checkpoints;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Models.Tests;

/// <summary>A dense module saved once as safetensors; every rank loads only its shard and the block equals dense.</summary>
public sealed class SafetensorsLoadingTests : IDisposable
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("tp-models-").FullName, "gpt.safetensors");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Gpt_mlp_loaded_from_safetensors_equals_dense(int tp)
    {
        const int tokens = 5, hidden = 12;
        var dense = new GptMlp(hidden);
        SafetensorsWriter.Write(_path,
            SafetensorsWriter.LinearTensors("h.0.mlp.", nameof(GptMlp.Fc), dense.Fc)
                .Concat(SafetensorsWriter.LinearTensors("h.0.mlp.", nameof(GptMlp.Proj), dense.Proj)));
        var x = Reference.Input(tokens, hidden, seed: 5);
        var expected = Reference.Linear(Reference.Map(Reference.Linear(x, dense.Fc, tokens), Reference.Gelu), dense.Proj, tokens);

        using var checkpoint = SafetensorsCheckpoint.Open(_path);
        var results = InProcessWorld.Run(tp, group =>
        {
            var mlp = new GptMlp(hidden);
            mlp.ShardFrom(checkpoint, group, prefix: "h.0.mlp.");
            return mlp.Forward(DTensor.FromArray(x, tokens, hidden, Placement.Replicate, group)).ToTensor().ToArray();
        });
        foreach (var result in results) Reference.AssertClose(expected, result, $"GPT MLP from safetensors, tp={tp}");
    }

    [Fact]
    public void A_checkpoint_without_the_layer_names_the_tensor_on_every_rank()
    {
        var dense = new GptMlp(12);
        SafetensorsWriter.Write(_path, SafetensorsWriter.LinearTensors("h.0.mlp.", nameof(GptMlp.Fc), dense.Fc));
        using var checkpoint = SafetensorsCheckpoint.Open(_path);
        var error = Assert.Throws<TpCodegen.Collectives.RankFailedException>(() => InProcessWorld.Run(2, group =>
            new GptMlp(12).ShardFrom(checkpoint, group, prefix: "h.0.mlp.")));
        Assert.Contains("has no tensor 'h.0.mlp.Proj.weight'", error.Message);
    }
}
