using System.Diagnostics;
using System.Globalization;
using TpCodegen;
using TpCodegen.Collectives;
using TpCodegen.Models;
using TpCodegen.Models.Planning;

namespace GenerateSample;

/// <summary>
/// The sample's work, callable without a process: the built-in check (a small random Llama saved as a Hugging Face
/// directory, generated at tp=1 and at tp, the tokens compared), a run of any model directory, or its plan.
/// Every rank runs it; only the first rank writes to <c>output</c>.
/// </summary>
public static class GenerateCommand
{
    /// <summary>0 on success; 1 when the tensor-parallel tokens differ from tp=1's.</summary>
    public static int Run(GenerateOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        output = IsFirstProcess ? output : TextWriter.Null;
        if (options.Temperature == 0 && (options.TopK > 0 || options.TopP < 1))
            output.WriteLine("note: --top-k and --top-p shape sampling, which --temperature turns on; without it the choice stays greedy.");
        if (options.Model is null) return RunDemo(options, output);
        var config = HuggingFaceModel.ReadConfig(options.Model);
        if (options.PlanOnly)
        {
            PrintPlan(config, options, output);
            return 0;
        }
        RequireDegree(config, options.Tp);
        var tokenizer = ModelTokenizer.TryLoad(options.Model);
        int[] prompt = Prompt(options, tokenizer, config);
        output.WriteLine($"{options.Model}: {(tokenizer is null ? "no tokenizer files, token ids only" : "tokenizer: " + tokenizer.Kind)}");
        output.WriteLine($"prompt ids: {string.Join(",", prompt)}");
        var run = GenerateOnRanks(options.Model, options, prompt);
        Report(run, prompt, tokenizer, output);
        return 0;
    }

    private static int RunDemo(GenerateOptions options, TextWriter output)
    {
        var config = GenerateOptions.DemoConfig;
        if (options.PlanOnly)
        {
            PrintPlan(config, options, output);
            return 0;
        }
        RequireDegree(config, options.Tp);
        int[] prompt = options.PromptIds ?? GenerateOptions.DemoPrompt;
        // Every process (each MPI rank) writes its own copy: the seeded weights are the same in each.
        string directory = Directory.CreateTempSubdirectory("tpcodegen-generate-").FullName;
        try
        {
            LlamaExport.Save(new LlamaModel(config), directory);
            output.WriteLine($"A random-weight Llama (vocabulary {config.Vocabulary}, hidden {config.Hidden}, {config.Layers} layers, " +
                $"{config.Heads} heads over {config.KvHeads} KV heads) saved as a Hugging Face directory in {directory}");
            output.WriteLine($"prompt ids: {string.Join(",", prompt)}");
            output.WriteLine();
            var reference = GenerateOnOneRank(directory, options, prompt);
            Report(reference, prompt, tokenizer: null, output);
            var sharded = GenerateOnRanks(directory, options, prompt);
            Report(sharded, prompt, tokenizer: null, output);
            bool same = reference.Tokens.SequenceEqual(sharded.Tokens);
            output.WriteLine(same
                ? $"OK: tp={options.Tp} generated the same {sharded.Tokens.Length} tokens as tp=1."
                : $"MISMATCH: tp={options.Tp} generated different tokens from tp=1.");
            output.WriteLine();
            PrintPlan(config, options with { PlanTokens = prompt.Length }, output);
            return same ? 0 : 1;
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>What one generation made and how long it took, as rank 0 saw it.</summary>
    private sealed record RunResult(int Tp, string Backend, int[] Tokens, TimeSpan Load, GenerationResult Generation);

    // The reference: the dense model on a group of one, in this thread (under MPI too, where each process computes it).
    private static RunResult GenerateOnOneRank(string directory, GenerateOptions options, int[] prompt)
    {
        var watch = Stopwatch.StartNew();
        var model = HuggingFaceModel.Load(directory, SingleRankGroup.Instance, options.Fuse);
        var load = watch.Elapsed;
        var result = TextGeneration.Generate(model, [prompt], GenerationOf(options));
        return new RunResult(1, "one rank", result.Tokens[0], load, result);
    }

    private static RunResult GenerateOnRanks(string directory, GenerateOptions options, int[] prompt)
    {
        // The lowest rank this process runs reports: rank 0 in-process, this process's own rank under MPI. Every rank
        // chose the same tokens (the choice is reduced over the vocabulary shards).
        var (gate, lowest, first) = (new object(), int.MaxValue, (RunResult?)null);
        Launcher.Run(options.Tp, group =>
        {
            var watch = Stopwatch.StartNew();
            var model = HuggingFaceModel.Load(directory, group, options.Fuse);
            var load = watch.Elapsed;
            var result = TextGeneration.Generate(model, [prompt], GenerationOf(options));
            lock (gate)
                if (group.Rank < lowest) (lowest, first) = (group.Rank, new RunResult(group.Size, Launcher.BackendName, result.Tokens[0], load, result));
        });
        return first!;
    }

    private static GenerationOptions GenerationOf(GenerateOptions options) =>
        new() { MaxNewTokens = options.MaxNewTokens, Sampling = options.Sampling };

    private static int[] Prompt(GenerateOptions options, ModelTokenizer? tokenizer, object config)
    {
        if (options.Prompt is null) return options.PromptIds ?? StartOfText(config);
        if (tokenizer is null)
            throw new ArgumentException($"--prompt needs a tokenizer, and '{options.Model}' has none (no tokenizer.model, no vocab.json + merges.txt): give token ids with --prompt-ids 1,2,3.");
        var ids = tokenizer.Encode(options.Prompt);
        return ids.Length > 0 ? ids : throw new ArgumentException($"--prompt '{options.Prompt}' encodes to no tokens.");
    }

    // Without a prompt, generation starts from the id a text starts with: Llama's bos_token_id; GPT-2's <|endoftext|>,
    // which it also uses to begin a text.
    private static int[] StartOfText(object config) => config switch
    {
        LlamaConfig { BosToken: int bos } => [bos],
        Gpt2Config { EosTokens: [int eos, ..] } => [eos],
        _ => [0],
    };

    private static void Report(RunResult run, int[] prompt, ModelTokenizer? tokenizer, TextWriter output)
    {
        var g = run.Generation;
        output.WriteLine($"tp={run.Tp} ({run.Backend}): {run.Tokens.Length} new tokens: {string.Join(" ", run.Tokens)}");
        if (tokenizer is not null) output.WriteLine($"  text: {tokenizer.Decode(prompt)}|{tokenizer.Decode(run.Tokens)}");
        output.WriteLine(Invariant($"  load {run.Load.TotalMilliseconds:0} ms; time to first token {g.Prefill.TotalMilliseconds:0.0} ms (prefill of {prompt.Length}: {prompt.Length / g.Prefill.TotalSeconds:0} tokens/s); decode {g.DecodeTokensPerSecond:0.0} tokens/s over {g.DecodeSteps} steps"));
    }

    // The plan knows the degrees a config splits at: a wrong --tp fails here, with them named, before any weight is read.
    private static void RequireDegree(object config, int tp) => ModelPlan.For(config, tp, tokens: 1);

    private static void PrintPlan(object config, GenerateOptions options, TextWriter output)
    {
        var hardware = options.Hardware;
        output.Write(ModelPlan.For(config, options.Tp, options.PlanTokens, hardware).ToString());
        output.WriteLine();
        output.Write(DegreeComparison.Format(DegreeComparison.Plans(config, options.PlanTokens, hardware)));
        output.WriteLine($"  interconnect: {hardware.Interconnect.Assumption}");
    }

    // mpiexec starts one process per rank and each runs this program; only the first prints. The launchers' variables
    // are the ones Launcher detects MPI by.
    private static bool IsFirstProcess =>
        new[] { "PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK" }
            .Select(Environment.GetEnvironmentVariable)
            .FirstOrDefault(value => value is not null) is not { } rank || rank == "0";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
