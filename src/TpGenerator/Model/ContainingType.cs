namespace TpCodegen.Generator.Model;

/// <summary>One type declaration to re-emit as <c>partial {Keyword} {Name}</c> around the generated members.</summary>
/// <param name="Keyword">"class", "struct", "record", "record struct" or "interface".</param>
/// <param name="Name">The identifier as written in C# (keywords escaped with @).</param>
internal sealed record ContainingType(string Keyword, string Name);
