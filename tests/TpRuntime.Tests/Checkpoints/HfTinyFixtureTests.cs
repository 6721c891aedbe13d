using System.Runtime.InteropServices;
using TpCodegen.Checkpoints;
using TpCodegen.Testing;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>The hf-tiny checkpoints PyTorch wrote (tests/Fixtures/hf-tiny): every tensor readable, BF16 equal to the F32 copy rounded, token ids read.</summary>
public sealed class HfTinyFixtureTests
{
    public static TheoryData<string, string, string> Models => new()
    {
        { "llama-tiny/f32", "LlamaForCausalLM", "F32" },
        { "llama-tiny/bf16", "LlamaForCausalLM", "BF16" },
        { "gpt2-tiny/f32", "GPT2LMHeadModel", "F32" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_tensor_of_each_model_reads_whole_and_by_blocks(string folder, string architecture, string dtype)
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(FixturePaths.Of(["hf-tiny", .. folder.Split('/')]));
        using (var config = checkpoint.ReadConfig())
            Assert.Equal(architecture, config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.NotEmpty(checkpoint.TensorNames);

        long expectedBytes = 0;
        foreach (string name in checkpoint.TensorNames)
        {
            var info = checkpoint.Describe(name);
            Assert.Equal(dtype, info.DType);
            Assert.InRange(info.Shape.Length, 1, 2);
            var whole = checkpoint.ReadFloats(name);
            Assert.Equal(info.ElementCount, whole.Length);
            Assert.All(whole, value => Assert.True(float.IsFinite(value), $"{name} holds {value}"));
            Assert.Contains(whole, value => value != 0); // random weights, or norms of ones: never all zero

            // The same tensor by blocks: the second half of its rows, then its last column.
            int rows = info.Shape.Length == 1 ? 1 : (int)info.Shape[0], columns = (int)info.Shape[^1];
            int half = rows / 2;
            var lower = new float[(rows - half) * columns];
            checkpoint.ReadBlock(name, rows, columns, half, rows - half, 0, columns, lower);
            Assert.Equal(whole[(half * columns)..], lower);
            var last = new float[rows];
            checkpoint.ReadBlock(name, rows, columns, 0, rows, columns - 1, 1, last);
            Assert.Equal(Enumerable.Range(0, rows).Select(r => whole[r * columns + columns - 1]), last);
            expectedBytes += info.ByteLength + info.ByteLength * (rows - half) / rows + info.ByteLength / columns;
        }
        Assert.Equal(expectedBytes, checkpoint.BytesRead);
        Assert.Equal(checkpoint.TensorNames.Sum(name => checkpoint.Describe(name).ByteLength), checkpoint.TotalBytes);
    }

    [Fact]
    public void The_bf16_llama_is_the_f32_llama_rounded_to_nearest_even()
    {
        using var f32 = HuggingFaceCheckpoint.Open(FixturePaths.Of("hf-tiny", "llama-tiny", "f32"));
        using var bf16 = HuggingFaceCheckpoint.Open(FixturePaths.Of("hf-tiny", "llama-tiny", "bf16"));
        Assert.Equal(f32.TensorNames, bf16.TensorNames);
        foreach (string name in f32.TensorNames)
        {
            Assert.Equal(f32.Describe(name).Shape, bf16.Describe(name).Shape);
            var exact = f32.ReadFloats(name);
            var rounded = bf16.ReadFloats(name);
            // BF16 keeps 8 significant bits: rounding moves a value by at most 2^-8 of itself (2^-9 to nearest).
            for (int i = 0; i < exact.Length; i++)
                Assert.True(Math.Abs(exact[i] - rounded[i]) <= Math.Abs(exact[i]) / 256, $"{name}[{i}]: {exact[i]} vs {rounded[i]}");
            // And the writer's rounding reproduces PyTorch's bits exactly.
            var ours = SafetensorsWriter.Tensor.BF16(name, [exact.Length], exact).Data.ToArray();
            var oursAsFloats = MemoryMarshal.Cast<byte, ushort>(ours).ToArray().Select(bits => BitConverter.UInt32BitsToSingle((uint)bits << 16));
            Assert.Equal(oursAsFloats, rounded);
        }
    }

    [Theory]
    [InlineData("llama-tiny/f32", 160)]
    [InlineData("llama-tiny/bf16", 160)]
    [InlineData("gpt2-tiny/f32", 200)]
    public void The_io_file_holds_token_ids_logits_and_the_greedy_continuation(string folder, int vocab)
    {
        using var io = SafetensorsCheckpoint.Open(FixturePaths.Of(["hf-tiny", .. folder.Split('/'), "io.safetensors"]));
        var inputInfo = io.Describe("input_ids");
        Assert.Equal("I64", inputInfo.DType);
        Assert.Equal([2L, 11], inputInfo.Shape);
        var ids = io.ReadInt64("input_ids");
        Assert.All(ids, id => Assert.InRange(id, 0, vocab - 1));
        var greedy = io.ReadInt64("greedy");
        Assert.Equal(23, greedy.Length);
        Assert.Equal(ids[..11], greedy[..11]);
        Assert.All(greedy, id => Assert.InRange(id, 0, vocab - 1));
        Assert.Equal([2L, 11, vocab], io.Describe("logits").Shape);
        Assert.Equal(2 * 11 * vocab, io.ReadFloats("logits").Length);
    }
}
