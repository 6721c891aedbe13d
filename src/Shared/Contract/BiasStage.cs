namespace TpCodegen.Contract;

/// <summary>Where a layer's forward adds its bias, derived from the placement its GEMM makes and the one it returns.</summary>
internal enum BiasStage
{
    /// <summary>In the GEMM's epilogue: each rank's output is its own block, the bias cut the same way.</summary>
    Epilogue,

    /// <summary>After the move to the output placement: added to a partial sum, it would count tp times.</summary>
    AfterMove,

    /// <summary>On rank 0's addend only: the output stays a partial sum, and the later reduce adds the bias once.</summary>
    RankZero,

    /// <summary>Not at all: SkipBiasAdd hands the bias back for the caller's fused epilogue.</summary>
    Skipped,
}
