namespace TpCodegen.Parallel;

/// <summary>The degree check the runtime runs before it cuts a shard or plans a layer, with the contract's message.</summary>
internal static class TensorParallelChecks
{
    /// <summary>
    /// The share of <paramref name="size"/> (the dimension <paramref name="split"/> divides) one of <paramref name="tp"/>
    /// ranks owns; throws a <see cref="TensorParallelDegreeException"/> when <paramref name="tp"/> does not divide it.
    /// </summary>
    public static int LocalSize(string layerName, Split split, int size, int tp)
    {
        var contract = RuntimeContract.Of(split);
        if (tp < 1)
            throw new ArgumentOutOfRangeException(nameof(tp), tp, $"{split} layer '{layerName}': the tensor-parallel degree must be at least 1.");
        if (contract.AllowsDegree(size, tp)) return (int)contract.LocalSize(size, tp);
        var valid = Contract.Degrees.Valid(size).Select(d => (int)d).ToArray();
        throw new TensorParallelDegreeException(layerName, split, contract.DividedName, size, tp, valid,
            Contract.Degrees.NotDivisibleMessage(contract, layerName, size, tp));
    }
}
