using System.Text;
using Xunit.Abstractions;
using System.Text.RegularExpressions;
using TpCodegen.Checkpoints;
using Tensor = TpCodegen.Checkpoints.SafetensorsWriter.Tensor;

namespace TpCodegen.Tests.Checkpoints;

/// <summary>
/// Thousands of valid files mutated at random and by structure: each must open and read exactly what an independent
/// decoder finds in its bytes, or be refused with an InvalidDataException naming the file; never another exception,
/// never a hang, and never more managed memory than a small multiple of the file.
/// </summary>
public sealed partial class SafetensorsFuzzTests(ITestOutputHelper output) : CheckpointFiles
{
    private const int Cases = 10_000;

    // Allocation allowed per case: a multiple of the file's size (the header is copied once, its tensors parsed into
    // objects, whole tensors read as F32 take at most twice their BF16 bytes) plus a fixed cost for small files.
    private const int AllowedPerFileByte = 6;
    private const int AllowedFixed = 48 * 1024;

    [Fact]
    public async Task Mutated_files_are_read_exactly_or_refused_clearly_in_bounded_memory()
    {
        var seeds = Seeds();
        string path = Path.Combine(Root, "fuzz.safetensors");
        int accepted = 0, refused = 0;
        var run = Task.Run(() =>
        {
            var random = new Random(2026);
            Check(path, seeds[0]); // warm up: the first open loads types and fills buffer pools
            for (int i = 0; i < Cases; i++)
            {
                var file = Mutate(seeds[random.Next(seeds.Count)], random);
                try
                {
                    if (Check(path, file)) accepted++;
                    else refused++;
                }
                catch (Exception error) when (error is not Xunit.Sdk.XunitException)
                {
                    throw new Xunit.Sdk.XunitException($"Case {i} threw {error.GetType().Name}, not InvalidDataException; header: {Header(file)}\n{error}");
                }
            }
        });
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120))));
        await run;
        output.WriteLine($"{accepted} accepted, {refused} refused; at most {_worstRatio:F2} bytes allocated per file byte beyond the fixed {AllowedFixed}");
        // Both outcomes must be common, or the mutations test nothing.
        Assert.True(accepted > Cases / 50, $"{accepted} accepted of {Cases}");
        Assert.True(refused > Cases / 2, $"{refused} refused of {Cases}");
    }

    /// <summary>True when the reader accepted <paramref name="file"/> (and read it right), false when it refused it clearly.</summary>
    private static bool Check(string path, byte[] file)
    {
        File.WriteAllBytes(path, file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var read = new Dictionary<string, (TensorInfo Info, float[]? Floats, long[]? Longs)>();
        SafetensorsCheckpoint? checkpoint = null;
        try
        {
            checkpoint = SafetensorsCheckpoint.Open(path);
            foreach (string name in checkpoint.TensorNames)
            {
                var info = checkpoint.Describe(name);
                read[name] = (info,
                    info.DType is "F32" or "BF16" or "F16" ? checkpoint.ReadFloats(name) : null,
                    info.DType == "I64" ? checkpoint.ReadInt64(name) : null);
            }
        }
        catch (InvalidDataException refusal)
        {
            AssertBounded(before, file.Length);
            Assert.Contains($"'{path}'", refusal.Message);
            Assert.True(refusal.Message.Length < 600, $"a {refusal.Message.Length}-character message");
            return false;
        }
        AssertBounded(before, file.Length);
        using (checkpoint)
            CompareWithOracle(file, checkpoint, read);
        return true;
    }

    private static double _worstRatio;

    private static void AssertBounded(long before, long fileLength)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        _worstRatio = Math.Max(_worstRatio, (double)Math.Max(0, allocated - AllowedFixed) / Math.Max(1, fileLength));
        Assert.True(allocated <= AllowedPerFileByte * fileLength + AllowedFixed, $"{allocated} bytes allocated for a {fileLength}-byte file");
    }

    private static void CompareWithOracle(byte[] file, SafetensorsCheckpoint checkpoint, Dictionary<string, (TensorInfo Info, float[]? Floats, long[]? Longs)> read)
    {
        var entries = SafetensorsOracle.Entries(file);
        Assert.Equal(entries.Keys.Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, (info, floats, longs)) in read)
        {
            var entry = entries[name];
            Assert.Equal(entry.DType, info.DType);
            Assert.Equal(entry.Shape, info.Shape);
            for (int i = 0; i < (floats?.Length ?? 0); i++)
                Assert.True(SafetensorsOracle.Same(SafetensorsOracle.Float(file, entry, i), floats![i]), $"{name}[{i}]");
            for (int i = 0; i < (longs?.Length ?? 0); i++)
                Assert.Equal(SafetensorsOracle.Int64(file, entry, i), longs![i]);
            if (floats is not null && entry.Shape.Length == 2 && entry.Shape[0] > 1 && entry.Shape[1] > 1)
            {
                // A column block, read row by row, equals the same elements of the whole tensor.
                int rows = (int)entry.Shape[0], columns = (int)entry.Shape[1];
                var block = new float[rows - 1];
                checkpoint.ReadBlock(name, rows, columns, 1, rows - 1, columns - 1, 1, block);
                for (int r = 1; r < rows; r++)
                    Assert.True(SafetensorsOracle.Same(floats[r * columns + columns - 1], block[r - 1]), $"{name} block row {r}");
            }
        }
    }

    private static List<byte[]> Seeds()
    {
        var directory = Directory.CreateTempSubdirectory("tp-fuzz-seeds-").FullName;
        try
        {
            var random = new Random(7);
            float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2))];
            var metadata = new Dictionary<string, string> { ["format"] = "pt" };
            List<List<Tensor>> sets =
            [
                [Tensor.F32("w", [3, 4], Values(12)), Tensor.F32("b", [4], Values(4))],
                [Tensor.F32("model.embed.weight", [4, 3], Values(12)), Tensor.BF16("model.q.weight", [2, 5], Values(10)), Tensor.F16("h.0.attn.bias", [3, 2], Values(6)),
                 Tensor.I64("position_ids", [1, 3], [0, 1, 2]), Tensor.F32("scalar", [], [1.5f]), Tensor.F32("empty", [0, 2], []), Tensor.BF16("cube", [2, 1, 2], Values(4))],
                [.. Enumerable.Range(0, 12).Select(i => Tensor.F32($"layers.{i}.norm", [2], Values(2)))],
            ];
            var seeds = new List<byte[]>();
            for (int s = 0; s < sets.Count; s++)
            {
                string file = Path.Combine(directory, $"{s}.safetensors");
                SafetensorsWriter.Write(file, sets[s], s == 1 ? metadata : null);
                seeds.Add(File.ReadAllBytes(file));
            }
            return seeds;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static readonly string[] Numbers =
        ["-1", "0", "1", "2", "3", "4", "8", "12", "16", "-0", "2.5", "1e3", "9223372036854775807", "9223372036854775808",
         "18446744073709551616", "4294967296", "-9223372036854775808", "99999999999999999999999", "null", "\"4\"", "[]", "[1,2]"];

    private static readonly string[] Strings =
        ["\"__metadata__\"", "\"\"", "\"F32\"", "\"BF16\"", "\"F16\"", "\"I64\"", "\"U8\"", "\"F64\"", "\"F4\"", "\"dtype\"", "\"shape\"",
         "\"data_offsets\"", "\"w\"", "\"b\"", "\"\\ud800\"", "\"F\\u0033\\u0032\"", "\"\\u0000\"", "1", "null", "{}", "[]"];

    /// <summary>One mutation of a valid file: bytes flipped, cut or spliced, or one JSON token replaced by a hostile one.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        int headerLength = (int)BitConverter.ToInt64(seed, 0);
        string header = Encoding.UTF8.GetString(seed, 8, headerLength);
        var data = seed.AsSpan(8 + headerLength).ToArray();
        bool keepPrefix = false;
        switch (random.Next(12))
        {
            case 0: // random bytes of the header
            {
                var bytes = Encoding.UTF8.GetBytes(header);
                for (int k = random.Next(1, 4); k > 0; k--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return Assemble(bytes, data);
            }
            case 1: // JSON punctuation where it does not belong
            {
                var chars = header.ToCharArray();
                const string punctuation = "{}[]\",:-0123456789e. ";
                chars[random.Next(chars.Length)] = punctuation[random.Next(punctuation.Length)];
                header = new string(chars);
                break;
            }
            case 2: // the file cut short
                return Assemble(Encoding.UTF8.GetBytes(header), data).AsSpan(0, random.Next(seed.Length)).ToArray();
            case 3: // a lying header length
            {
                var bytes = Assemble(Encoding.UTF8.GetBytes(header), data);
                long[] lies = [0, -1, long.MaxValue, long.MinValue, headerLength + random.Next(-9, 10), random.NextInt64(), seed.Length, 100_000_001];
                BitConverter.GetBytes(lies[random.Next(lies.Length)]).CopyTo(bytes, 0);
                return bytes;
            }
            case 4: // a number replaced
            case 5:
                header = ReplaceToken(header, NumberToken(), random, () => random.Next(3) == 0 ? random.Next(0, data.Length + 1).ToString() : Numbers[random.Next(Numbers.Length)]);
                break;
            case 6: // a string replaced, by a hostile one or by another string of the header (a duplicate name or key)
            case 7:
            {
                var strings = StringToken().Matches(header);
                header = ReplaceToken(header, StringToken(), random, () => random.Next(3) == 0 ? strings[random.Next(strings.Count)].Value : Strings[random.Next(Strings.Length)]);
                break;
            }
            case 8: // a slice of the header copied elsewhere (duplicated keys, entries, brackets)
            {
                int start = random.Next(header.Length), length = random.Next(Math.Min(80, header.Length - start) + 1);
                header = header.Insert(random.Next(header.Length + 1), header.Substring(start, length));
                break;
            }
            case 9: // a slice of the header removed
            {
                int start = random.Next(header.Length);
                header = header.Remove(start, random.Next(Math.Min(40, header.Length - start) + 1));
                break;
            }
            case 10: // data added or removed at the end
                data = random.Next(2) == 0 ? [.. data, .. new byte[random.Next(1, 9)]] : data[..Math.Max(0, data.Length - random.Next(1, 9))];
                break;
            default: // two numbers swapped (offsets out of order, shapes transposed)
            {
                var numbers = NumberToken().Matches(header);
                if (numbers.Count < 2) break;
                var (a, b) = (numbers[random.Next(numbers.Count)], numbers[random.Next(numbers.Count)]);
                if (a.Index > b.Index) (a, b) = (b, a);
                if (a.Index == b.Index) break;
                header = header[..a.Index] + b.Value + header[(a.Index + a.Length)..b.Index] + a.Value + header[(b.Index + b.Length)..];
                keepPrefix = random.Next(4) == 0;
                break;
            }
        }
        var result = Assemble(Encoding.UTF8.GetBytes(header), data);
        if (keepPrefix) BitConverter.GetBytes((long)headerLength).CopyTo(result, 0);
        return result;
    }

    private static string ReplaceToken(string header, Regex token, Random random, Func<string> replacement)
    {
        var matches = token.Matches(header);
        if (matches.Count == 0) return header;
        var match = matches[random.Next(matches.Count)];
        return header[..match.Index] + replacement() + header[(match.Index + match.Length)..];
    }

    private static byte[] Assemble(byte[] header, byte[] data) => [.. BitConverter.GetBytes((long)header.Length), .. header, .. data];

    private static string Header(byte[] file) => file.Length <= 8 ? $"({file.Length} bytes)" : Encoding.UTF8.GetString(file, 8, Math.Min(file.Length - 8, 400));

    [GeneratedRegex(@"-?\d+")]
    private static partial Regex NumberToken();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringToken();
}
