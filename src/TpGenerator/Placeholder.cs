// The generator arrives with the TpGenerator issue; this file keeps the project buildable until then.
namespace TpCodegen.Generator
{
    internal static class GeneratorInfo
    {
        internal const string AttributeMetadataName = "TpCodegen.TensorParallelAttribute";
    }
}
