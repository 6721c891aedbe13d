using System.CommandLine;
using System.Globalization;
using GenerateSample;
using TpCodegen.Collectives;
using TpCodegen.Models.Planning;

// Generates text with a tensor-parallel Llama or GPT-2. With no arguments: a small random-weight Llama, saved as a
// Hugging Face directory, generated at tp=1 and at tp=2 on in-process ranks, the tokens compared (exit code 1 if they
// differ), then its plan. With --model DIR: any supported directory. Under mpiexec each process is one rank:
//   dotnet run -c Release --project samples/Generate
//   dotnet run -c Release --project samples/Generate -- --model DIR --tp 2 --prompt "Hello" --max-new-tokens 32
//   mpiexec -n 2 dotnet samples/Generate/bin/Release/net10.0/Generate.dll --tp 2
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var defaults = new GenerateOptions();

var model = new Option<string?>("--model") { Description = "A Hugging Face model directory (config.json, model.safetensors); without it, a small random Llama checks tp against tp=1." };
var tp = new Option<int>("--tp") { Description = "Tensor-parallel degree (under mpiexec: the -n given).", DefaultValueFactory = _ => defaults.Tp };
var promptIds = new Option<string?>("--prompt-ids") { Description = "The prompt as token ids, e.g. 1,2,3." };
var prompt = new Option<string?>("--prompt") { Description = "The prompt as text (the directory needs tokenizer.model, or vocab.json + merges.txt)." };
var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "New tokens at most (an end-of-sequence id stops earlier).", DefaultValueFactory = _ => defaults.MaxNewTokens };
var temperature = new Option<float>("--temperature") { Description = "Sample at this temperature; greedy without it." };
var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely ids (with --temperature)." };
var topP = new Option<float>("--top-p") { Description = "Sample among the most likely ids up to this probability mass (with --temperature).", DefaultValueFactory = _ => defaults.TopP };
var seed = new Option<ulong>("--seed") { Description = "Seed of the draws: the same tokens at every tp." };
var fuse = new Option<bool>("--fuse") { Description = "Llama family: load q/k/v and gate/up as one fused GEMM per rank each." };
var plan = new Option<bool>("--plan") { Description = "Print the model's plan from its config alone (no weights) and exit." };
var planTokens = new Option<int>("--plan-tokens") { Description = "Tokens of the plan's prefill (and the context of its decode step).", DefaultValueFactory = _ => defaults.PlanTokens };
var interconnect = new Option<string>("--interconnect")
{
    Description = $"The link the plan predicts communication on: {string.Join(", ", Interconnect.Presets.Select(p => p.Name))}.",
    DefaultValueFactory = _ => defaults.InterconnectName,
};
var gflops = new Option<double>("--gflops") { Description = "The plan's compute rate per rank, GFLOP/s.", DefaultValueFactory = _ => defaults.GflopsPerRank };
var memory = new Option<double>("--memory-bandwidth") { Description = "The plan's memory read bandwidth per rank, GB/s.", DefaultValueFactory = _ => defaults.MemoryGBpsPerRank };

var root = new RootCommand("Generate text with a tensor-parallel Llama or GPT-2 (TpCodegen).")
{
    model, tp, promptIds, prompt, maxNewTokens, temperature, topK, topP, seed, fuse, plan, planTokens, interconnect, gflops, memory,
};
root.SetAction(result =>
{
    try
    {
        var options = new GenerateOptions
        {
            Model = result.GetValue(model),
            Tp = result.GetValue(tp),
            PromptIds = ParseIds(result.GetValue(promptIds)),
            Prompt = result.GetValue(prompt),
            MaxNewTokens = result.GetValue(maxNewTokens),
            Temperature = result.GetValue(temperature),
            TopK = result.GetValue(topK),
            TopP = result.GetValue(topP),
            Seed = result.GetValue(seed),
            Fuse = result.GetValue(fuse),
            PlanOnly = result.GetValue(plan),
            PlanTokens = result.GetValue(planTokens),
            InterconnectName = result.GetValue(interconnect)!,
            GflopsPerRank = result.GetValue(gflops),
            MemoryGBpsPerRank = result.GetValue(memory),
        };
        return GenerateCommand.Run(options, Console.Out);
    }
    catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or NotSupportedException or RankFailedException)
    {
        // A rank's failure carries the rank's own error: that is the one to show.
        Console.Error.WriteLine($"error: {(e is RankFailedException { InnerException: { } inner } ? inner.Message : e.Message)}");
        return 2;
    }
});
return root.Parse(args).Invoke();

static int[]? ParseIds(string? text)
{
    if (text is null) return null;
    return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id >= 0
            ? id
            : throw new ArgumentException($"--prompt-ids: '{part}' is not a token id (a non-negative integer)."))
        .ToArray();
}

