using System;
using System.Text;

namespace TpCodegen.Generator.Helpers;

/// <summary>
/// Builds generated source line by line with explicit indentation, so the output is readable and byte-for-byte
/// deterministic ("\n" line ends whatever the host OS).
/// </summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _indent;

    public void WriteLine(string line = "")
    {
        if (line.Length > 0)
            for (int i = 0; i < _indent; i++) _text.Append(IndentUnit);
        _text.Append(line).Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and "{", then indents.</summary>
    public void OpenBlock(string? header = null)
    {
        if (header is not null) WriteLine(header);
        WriteLine("{");
        _indent++;
    }

    /// <summary>Unindents and writes "}" followed by <paramref name="suffix"/>.</summary>
    public void CloseBlock(string suffix = "")
    {
        if (_indent == 0) throw new InvalidOperationException("CloseBlock without a matching OpenBlock.");
        _indent--;
        WriteLine("}" + suffix);
    }

    /// <summary>The text; every block must be closed.</summary>
    public override string ToString()
    {
        if (_indent != 0) throw new InvalidOperationException($"Generated source ended {_indent} block(s) deep.");
        return _text.ToString();
    }
}
