using System.Text.RegularExpressions;
using GenerateSample;

namespace TpCodegen.Models.Tests.Samples;

/// <summary>The Generate sample's core path, called as a library: the built-in check, a model directory with and without a tokenizer, the plan.</summary>
public class GenerateSampleTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "hf-tiny", name);

    private static (int ExitCode, string Output) Run(GenerateOptions options)
    {
        var output = new StringWriter();
        int exitCode = GenerateCommand.Run(options, output);
        return (exitCode, output.ToString());
    }

    [Fact]
    public void Without_arguments_tp2_generates_the_tokens_of_tp1()
    {
        var (exitCode, output) = Run(new GenerateOptions { MaxNewTokens = 6 });
        Assert.Equal(0, exitCode);
        var tokens = Regex.Matches(output, @"^tp=(\d) \([^)]*\): \d+ new tokens: (.*)$", RegexOptions.Multiline);
        Assert.Equal(2, tokens.Count);
        Assert.Equal(("1", "2"), (tokens[0].Groups[1].Value, tokens[1].Groups[1].Value));
        Assert.Equal(tokens[0].Groups[2].Value, tokens[1].Groups[2].Value);
        Assert.Matches(@"OK: tp=2 generated the same \d+ tokens as tp=1\.", output);
        Assert.Contains("LlamaForCausalLM at tp=2", output); // the plan follows
    }

    [Fact]
    public void A_prompt_without_a_tokenizer_is_refused_with_the_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => Run(new GenerateOptions { Model = Fixture("llama-tiny/f32"), Prompt = "hello" }));
        Assert.Contains("has none (no tokenizer.model, no vocab.json + merges.txt)", error.Message);
    }

    [Fact]
    public void A_degree_the_heads_do_not_allow_is_refused_before_loading()
    {
        // The fixture has 4 query heads over 2 KV heads: tp 3 divides neither.
        var error = Assert.Throws<TpCodegen.Parallel.TensorParallelDegreeException>(() => Run(new GenerateOptions { Model = Fixture("llama-tiny/f32"), Tp = 3 }));
        Assert.Contains("valid tp for this model: 1, 2, 4", error.Message);
    }

    [Theory]
    [InlineData("gpt2-tiny/f32", "byte-level BPE")]
    [InlineData("llama-tiny/f32", "SentencePiece")]
    public void A_directory_with_a_tokenizer_takes_a_text_prompt(string fixture, string kind)
    {
        using var temp = new TempDirectory("tokenizer");
        string directory = temp.Path;
        foreach (string file in new[] { "config.json", "model.safetensors" })
            File.Copy(Path.Combine(Fixture(fixture), file), Path.Combine(directory, file));
        if (kind == "SentencePiece") TinySentencePiece.Write(Path.Combine(directory, "tokenizer.model"));
        else TinyBpe.Write(directory);
        var (exitCode, output) = Run(new GenerateOptions { Model = directory, Tp = 2, Prompt = "hello", MaxNewTokens = 3 });
        Assert.Equal(0, exitCode);
        Assert.Contains("tokenizer: " + kind, output);
        Assert.Matches(@"tp=2 \(inprocess\): 3 new tokens: \d+ \d+ \d+", output);
        Assert.Contains("text: hello|", output);
    }

    [Fact]
    public void The_plan_prints_from_the_config_alone()
    {
        using var temp = new TempDirectory("plan-only");
        string directory = temp.Path;
        File.Copy(Path.Combine(Fixture("llama-tiny/f32"), "config.json"), Path.Combine(directory, "config.json")); // no weights
        var (exitCode, output) = Run(new GenerateOptions { Model = directory, Tp = 4, PlanOnly = true, PlanTokens = 16, InterconnectName = "ethernet-100g" });
        Assert.Equal(0, exitCode);
        Assert.Contains("each KV head replicated on 2 ranks", output);
        Assert.Contains("predicted on ethernet-100g", output);
    }
}
