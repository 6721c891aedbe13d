namespace TpCodegen;

/// <summary>How a collective combines the values that the ranks contribute.</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum. The only correct way to finish a tensor-parallel partial sum.</summary>
    Sum,

    /// <summary>Element-wise mean over the ranks. Data-parallel gradient averaging; wrong for partial sums.</summary>
    Average,

    /// <summary>Element-wise maximum.</summary>
    Max,

    /// <summary>Element-wise minimum.</summary>
    Min,
}
