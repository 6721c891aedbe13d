namespace TpCodegen;

/// <summary>
/// Reuses activation buffers across the steps of a loop that runs the same shapes again and again (a decode step, a
/// training step), so that a steady-state step allocates no activation memory: inside a scope, every op's output buffer
/// comes from this thread's pool, and leaving the scope hands them all back for the next step.
/// </summary>
/// <remarks>
/// Everything an op returned inside the scope is invalid once the scope is left, the <see cref="DTensor"/> objects as well
/// as their buffers (the next step's ops reuse both): read what you need (the chosen token ids, a loss) before, and keep no
/// op output in a field across steps. Values made over your own arrays (<see cref="DTensor.FromArray"/>) stay yours. Per thread, so each in-process rank (a thread) has its own pool; scopes nest, and buffers go back
/// when the outermost one ends. Outside a scope ops allocate as usual.
/// </remarks>
public readonly struct StepBuffers : IDisposable
{
    [ThreadStatic]
    private static BufferPool? t_pool;

    private readonly BufferPool _pool;

    private StepBuffers(BufferPool pool) => _pool = pool;

    /// <summary>Starts a scope on this thread.</summary>
    public static StepBuffers Enter()
    {
        var pool = t_pool ??= new BufferPool();
        pool.Enter();
        return new StepBuffers(pool);
    }

    /// <summary>Bytes of buffers this thread's pool has allocated in all (they are kept for reuse): flat once steps repeat.</summary>
    public static long PooledBytes => t_pool?.AllocatedBytes ?? 0;

    /// <summary>Ends the scope; at the outermost, every buffer rented in it returns to the pool.</summary>
    public void Dispose() => _pool?.Exit();

    /// <summary>A buffer of <paramref name="length"/> floats for an op's output: pooled inside a scope, new outside.</summary>
    /// <param name="zeroed">False when the op writes every element (a GEMM output, a copy): skips clearing.</param>
    internal static float[] Rent(long length, bool zeroed = true)
    {
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), length, "An activation buffer larger than one array can hold.");
        var pool = t_pool;
        if (pool is { Active: true }) return pool.Rent((int)length, zeroed);
        return zeroed ? new float[length] : GC.AllocateUninitializedArray<float>((int)length);
    }

    /// <summary>
    /// Hands <paramref name="buffer"/>, rented in the open scope, back before the scope ends, for the next op of this step
    /// to reuse: only for a buffer nothing reads any more. Outside a scope (or for a buffer not rented here) it does nothing.
    /// </summary>
    /// <returns>True when the buffer went back (it was rented in the open scope).</returns>
    internal static bool Return(float[] buffer) => t_pool is { Active: true } pool && pool.Return(buffer);

    /// <summary>How many buffers the open scope has rented so far (0 outside a scope): a mark for <see cref="ReturnSince"/>.</summary>
    internal static int RentedCount => t_pool is { Active: true } pool ? pool.RentedCount : 0;

    /// <summary>
    /// Hands back every buffer rented since <paramref name="mark"/> except those <paramref name="keep"/> names: the scratch
    /// of one finished piece of work (a backward op), for the next piece of the same step to reuse. Outside a scope it does nothing.
    /// </summary>
    internal static void ReturnSince(int mark, HashSet<float[]> keep)
    {
        if (t_pool is { Active: true } pool) pool.ReturnSince(mark, keep);
    }

    /// <summary>A value object for an op's output over a rented buffer: pooled inside a scope, null outside (make a new one).</summary>
    internal static DTensor? RentValue(Func<DTensor> create)
    {
        var pool = t_pool;
        return pool is { Active: true } ? pool.RentValue(create) : null;
    }

    /// <summary>An array for <paramref name="count"/> values an op returns together (the segments of a fused output): pooled inside a scope, new outside.</summary>
    internal static DTensor[] RentValues(int count)
    {
        var pool = t_pool;
        return pool is { Active: true } ? pool.RentValues(count) : new DTensor[count];
    }

    private sealed class BufferPool
    {
        private readonly Dictionary<int, Stack<DTensor[]>> _freeArrays = [];
        private readonly List<DTensor[]> _rentedArrays = [];
        private readonly Dictionary<int, Stack<float[]>> _free = [];
        private readonly List<float[]> _rented = [];
        private readonly Stack<DTensor> _freeValues = new();
        private readonly List<DTensor> _rentedValues = [];
        private int _depth;

        public bool Active => _depth > 0;

        public long AllocatedBytes { get; private set; }

        public void Enter() => _depth++;

        public void Exit()
        {
            if (_depth == 0) return;
            if (--_depth > 0) return;
            foreach (var buffer in _rented) Free(buffer);
            _rented.Clear();
            foreach (var value in _rentedValues) _freeValues.Push(value);
            _rentedValues.Clear();
            foreach (var array in _rentedArrays)
            {
                if (!_freeArrays.TryGetValue(array.Length, out var stack)) _freeArrays.Add(array.Length, stack = new Stack<DTensor[]>());
                stack.Push(array);
            }
            _rentedArrays.Clear();
        }

        public DTensor[] RentValues(int count)
        {
            var array = _freeArrays.TryGetValue(count, out var stack) && stack.Count > 0 ? stack.Pop() : new DTensor[count];
            _rentedArrays.Add(array);
            return array;
        }

        public DTensor RentValue(Func<DTensor> create)
        {
            var value = _freeValues.Count > 0 ? _freeValues.Pop() : create();
            _rentedValues.Add(value);
            return value;
        }

        public int RentedCount => _rented.Count;

        public bool Return(float[] buffer)
        {
            // Released buffers are recent rents: search from the end.
            int index = _rented.LastIndexOf(buffer);
            if (index < 0) return false;
            _rented.RemoveAt(index);
            Free(buffer);
            return true;
        }

        public void ReturnSince(int mark, HashSet<float[]> keep)
        {
            int kept = mark;
            for (int i = mark; i < _rented.Count; i++)
            {
                var buffer = _rented[i];
                if (keep.Contains(buffer)) _rented[kept++] = buffer;
                else Free(buffer);
            }
            _rented.RemoveRange(kept, _rented.Count - kept);
        }

        private void Free(float[] buffer)
        {
            if (!_free.TryGetValue(buffer.Length, out var stack)) _free.Add(buffer.Length, stack = new Stack<float[]>());
            stack.Push(buffer);
        }

        public float[] Rent(int length, bool zeroed)
        {
            float[] buffer;
            if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                buffer = stack.Pop();
                if (zeroed) Array.Clear(buffer);
            }
            else
            {
                buffer = new float[length];
                AllocatedBytes += (long)length * sizeof(float);
            }
            _rented.Add(buffer);
            return buffer;
        }
    }
}
