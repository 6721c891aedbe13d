using System.Numerics.Tensors;

namespace TpCodegen;

/// <summary>
/// Binary element-wise operations on distributed values and the placement rules that keep them correct.
/// Both operands must live on the same group with the same local shape.
/// </summary>
internal static class ElementWise
{
    public static DTensor Add(DTensor left, DTensor right)
    {
        CheckSameLayout(left, right, "add");
        if (left.Placement != right.Placement)
        {
            if (left.Placement is PartialPlacement || right.Placement is PartialPlacement)
                throw new PlacementException(
                    $"Cannot add a {left.Placement} value to a {right.Placement} value on {left.Group}: " +
                    $"the {(left.Placement is PartialPlacement ? right.Placement : left.Placement)} operand would be added to every one of the " +
                    $"{left.Group.Size} partial sums, {left.Group.Size} times in all. All-reduce the partial value first " +
                    "(Redistribute(Placement.Replicate)), then add.");
            throw new PlacementException(
                $"Cannot add a {left.Placement} value to a {right.Placement} value on {left.Group}: redistribute one operand so both have the same placement.");
        }
        var sum = Apply(left, right, static (a, b, d) => TensorPrimitives.Add(a, b, d));
        Training.ElementWiseOnTape.RecordAdd(left, right, sum);
        return sum;
    }

    public static DTensor Multiply(DTensor left, DTensor right)
    {
        CheckSameLayout(left, right, "multiply");
        if (left.Placement is PartialPlacement || right.Placement is PartialPlacement)
            throw new PlacementException(
                $"Cannot multiply a {left.Placement} value by a {right.Placement} value on {left.Group}: a product of partial sums " +
                "is not the partial sum of the product. All-reduce the partial operand first (Redistribute(Placement.Replicate)).");
        if (left.Placement != right.Placement)
            throw new PlacementException(
                $"Cannot multiply a {left.Placement} value by a {right.Placement} value on {left.Group}: redistribute one operand so both have the same placement.");
        var product = Apply(left, right, static (a, b, d) => TensorPrimitives.Multiply(a, b, d));
        Training.ElementWiseOnTape.RecordMultiply(left, right, product);
        return product;
    }

    private delegate void BinaryKernel(ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> destination);

    private static DTensor Apply(DTensor left, DTensor right, BinaryKernel kernel)
    {
        var result = StepBuffers.Rent(left.LocalSpan.Length, zeroed: false);
        kernel(left.LocalSpan, right.LocalSpan, result);
        return DTensor.OverStepBuffer(result, left.Tokens, left.LocalFeatures, left.Placement, left.Group);
    }

    private static void CheckSameLayout(DTensor left, DTensor right, string verb)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!ReferenceEquals(left.Group, right.Group))
            throw new PlacementException($"Cannot {verb} values on different groups: {left.Group} and {right.Group}.");
        if (left.Tokens != right.Tokens || left.LocalFeatures != right.LocalFeatures)
            throw new ArgumentException(
                $"Cannot {verb} a [{left.Tokens}, {left.LocalFeatures}] local block and a [{right.Tokens}, {right.LocalFeatures}] local block: shapes differ.");
    }
}
