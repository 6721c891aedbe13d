namespace TpCodegen.Generator.Model;

/// <summary>Mirror of TpCodegen.Split: the generator cannot reference the runtime, so it reads the attribute's integer value.</summary>
internal enum SplitKind
{
    Column = 0,
    Row = 1,
}
