namespace TpCodegen.Contract;

/// <summary>Which dimension of a layer the tensor-parallel degree divides (and so must divide).</summary>
internal enum DividedDimension
{
    /// <summary>Output features: the weight's columns and the bias.</summary>
    OutFeatures,

    /// <summary>Input features: the weight's rows.</summary>
    InFeatures,
}
