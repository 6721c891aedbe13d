namespace TpCodegen.Training;

/// <summary>One parameter of a model with its name in the model (<c>layers.0.attention.Q.weight</c>).</summary>
public readonly record struct NamedParameter(string Name, Parameter Parameter);

/// <summary>
/// The trainable parameters of one rank's model, in a fixed order (the same on every rank of a data-parallel group, so
/// bucketed reductions line up), each with its name and whether it is a shard or a replica across the tensor-parallel group.
/// </summary>
public sealed class ParameterSet
{
    private readonly List<NamedParameter> _items = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public IReadOnlyList<NamedParameter> Items => _items;

    public int Count => _items.Count;

    /// <summary>Adds <paramref name="parameter"/> as <paramref name="name"/>; names are unique.</summary>
    public ParameterSet Add(string name, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameter);
        if (!_names.Add(name)) throw new ArgumentException($"Two parameters are named '{name}'.", nameof(name));
        _items.Add(new NamedParameter(name, parameter));
        return this;
    }

    /// <summary>Adds each of a layer's parameters as <c>prefix + its own name</c> (<c>weight</c>, <c>bias</c>).</summary>
    public ParameterSet Add(string prefix, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var parameter in parameters)
        {
            string own = parameter.Name;
            int dot = own.LastIndexOf('.');
            Add(prefix + (dot < 0 ? own : own[(dot + 1)..]), parameter);
        }
        return this;
    }

    /// <summary>The parameter named <paramref name="name"/>.</summary>
    public Parameter this[string name] =>
        _items.Find(p => p.Name == name).Parameter ?? throw new KeyNotFoundException($"No parameter named '{name}' (this set has {Count}).");

    /// <summary>Values this rank holds, over all parameters.</summary>
    public long LocalValues => _items.Sum(p => (long)p.Parameter.Value.Length);

    public void ZeroGrad()
    {
        foreach (var item in _items) item.Parameter.ZeroGrad();
    }
}
