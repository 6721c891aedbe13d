using System.Runtime.InteropServices;

namespace TpCodegen.Collectives.Mpi;

/// <summary>
/// The few MPI entry points the backend calls, bound at run time to whichever libmpi
/// <see cref="MpiLibrary"/> loaded, and the predefined handles of that library's ABI.
/// </summary>
/// <remarks>
/// Two ABIs exist on Linux and they differ in the size of a handle:
/// <list type="bullet">
/// <item>MPICH and its derivatives (Intel MPI, MVAPICH, Cray MPICH): handles are 32-bit ints with fixed
/// values, taken from MPICH's <c>mpi.h</c> (<c>/usr/include/x86_64-linux-gnu/mpich/mpi.h</c>, MPICH 4.0.2).</item>
/// <item>Open MPI: a handle is the address of an exported global object (<c>ompi_mpi_comm_world</c>, ...),
/// so it is pointer-sized and only known after loading.</item>
/// </list>
/// Managed code holds every handle as <see cref="nint"/>; each call goes through the function pointer whose
/// signature matches the loaded ABI, so no argument is ever passed with the wrong width.
/// </remarks>
internal static unsafe class MpiNative
{
    internal const int Success = 0;
    internal const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED: same value in both ABIs.
    internal const int ErrorStringCapacity = 1024; // >= MPI_MAX_ERROR_STRING of both (512 MPICH, 256 Open MPI).
    internal const int LibraryVersionCapacity = 8192; // = MPICH's MPI_MAX_LIBRARY_VERSION_STRING, the larger one.

    /// <summary>MPICH ABI handle values, from mpich/mpi.h.</summary>
    internal static class Mpich
    {
        internal const int CommWorld = 0x44000000;
        internal const int CommNull = 0x04000000;
        internal const int Float = 0x4c00040a;
        internal const int Int = 0x4c000405;
        internal const int OpMax = 0x58000001;
        internal const int OpMin = 0x58000002;
        internal const int OpSum = 0x58000003;
        internal const int ErrorsReturn = 0x54000001;
        internal const nint InPlace = -1;
    }

    /// <summary>Open MPI's MPI_IN_PLACE; its other handles are the addresses of these exports.</summary>
    internal static class OpenMpi
    {
        internal const nint InPlace = 1;
        internal const string CommWorld = "ompi_mpi_comm_world";
        internal const string CommNull = "ompi_mpi_comm_null";
        internal const string Float = "ompi_mpi_float";
        internal const string Int = "ompi_mpi_int";
        internal const string OpMax = "ompi_mpi_op_max";
        internal const string OpMin = "ompi_mpi_op_min";
        internal const string OpSum = "ompi_mpi_op_sum";
        internal const string ErrorsReturn = "ompi_mpi_errors_return";
    }

    // Predefined handles of the loaded library.
    internal static nint CommWorld, CommNull, Float, Int, OpSum, OpMax, OpMin, ErrorsReturn, InPlace;

    // True for Open MPI (pointer handles), false for the MPICH ABI (int handles).
    private static bool s_pointerHandles;

    // Entry points whose signatures do not involve a handle.
    private static delegate* unmanaged<int*, int> s_initialized;
    private static delegate* unmanaged<int*, int> s_finalized;
    private static delegate* unmanaged<int*, void*, int, int*, int> s_initThread;
    private static delegate* unmanaged<int> s_finalize;
    private static delegate* unmanaged<int, byte*, int*, int> s_errorString;
    private static delegate* unmanaged<byte*, int*, int> s_libraryVersion;

    // MPICH ABI: handles are int.
    private static delegate* unmanaged<int, int, int> s_abortI;
    private static delegate* unmanaged<int, int*, int> s_commRankI;
    private static delegate* unmanaged<int, int*, int> s_commSizeI;
    private static delegate* unmanaged<int, int, int> s_commSetErrhandlerI;
    private static delegate* unmanaged<int, int, int, int*, int> s_commSplitI;
    private static delegate* unmanaged<int*, int> s_commFreeI;
    private static delegate* unmanaged<int, int*, int> s_commDupI;
    private static delegate* unmanaged<void*, void*, int, int, int, int, int> s_allreduceI;
    private static delegate* unmanaged<void*, int, int, void*, int, int, int, int> s_allgatherI;
    private static delegate* unmanaged<void*, void*, int, int, int, int, int> s_reduceScatterBlockI;
    private static delegate* unmanaged<void*, int, int, int, int, int> s_bcastI;
    private static delegate* unmanaged<int, int> s_barrierI;
    private static delegate* unmanaged<void*, void*, int, int, int, int, int*, int> s_iallreduceI;
    private static delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int> s_iallgatherI;
    private static delegate* unmanaged<void*, void*, int, int, int, int, int*, int> s_ireduceScatterBlockI;
    private static delegate* unmanaged<void*, int, int, int, int, int*, int> s_ibcastI;
    private static delegate* unmanaged<int*, int*, void*, int> s_testI;

    // Open MPI ABI: handles are pointers.
    private static delegate* unmanaged<nint, int, int> s_abortP;
    private static delegate* unmanaged<nint, int*, int> s_commRankP;
    private static delegate* unmanaged<nint, int*, int> s_commSizeP;
    private static delegate* unmanaged<nint, nint, int> s_commSetErrhandlerP;
    private static delegate* unmanaged<nint, int, int, nint*, int> s_commSplitP;
    private static delegate* unmanaged<nint*, int> s_commFreeP;
    private static delegate* unmanaged<nint, nint*, int> s_commDupP;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> s_allreduceP;
    private static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> s_allgatherP;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> s_reduceScatterBlockP;
    private static delegate* unmanaged<void*, int, nint, int, nint, int> s_bcastP;
    private static delegate* unmanaged<nint, int> s_barrierP;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> s_iallreduceP;
    private static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int> s_iallgatherP;
    private static delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> s_ireduceScatterBlockP;
    private static delegate* unmanaged<void*, int, nint, int, nint, nint*, int> s_ibcastP;
    private static delegate* unmanaged<nint*, int*, void*, int> s_testP;

    // MPI_STATUS_IGNORE: (MPI_Status*)1 in MPICH's mpi.h, a null pointer in Open MPI's.
    private static void* s_statusIgnore;

    /// <summary>Binds every entry point and predefined handle from <paramref name="library"/>. Called once.</summary>
    internal static void Bind(nint library, MpiAbi abi)
    {
        s_pointerHandles = abi == MpiAbi.OpenMpi;

        s_initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        s_finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        s_initThread = (delegate* unmanaged<int*, void*, int, int*, int>)Export(library, "MPI_Init_thread");
        s_finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        s_errorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string");
        s_libraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version");

        nint abort = Export(library, "MPI_Abort"), rank = Export(library, "MPI_Comm_rank"),
            size = Export(library, "MPI_Comm_size"), setErr = Export(library, "MPI_Comm_set_errhandler"),
            split = Export(library, "MPI_Comm_split"), free = Export(library, "MPI_Comm_free"), dup = Export(library, "MPI_Comm_dup"),
            allreduce = Export(library, "MPI_Allreduce"), allgather = Export(library, "MPI_Allgather"),
            reduceScatter = Export(library, "MPI_Reduce_scatter_block"), bcast = Export(library, "MPI_Bcast"),
            barrier = Export(library, "MPI_Barrier"),
            iallreduce = Export(library, "MPI_Iallreduce"), iallgather = Export(library, "MPI_Iallgather"),
            ireduceScatter = Export(library, "MPI_Ireduce_scatter_block"), ibcast = Export(library, "MPI_Ibcast"),
            test = Export(library, "MPI_Test");

        if (s_pointerHandles)
        {
            s_abortP = (delegate* unmanaged<nint, int, int>)abort;
            s_commRankP = (delegate* unmanaged<nint, int*, int>)rank;
            s_commSizeP = (delegate* unmanaged<nint, int*, int>)size;
            s_commSetErrhandlerP = (delegate* unmanaged<nint, nint, int>)setErr;
            s_commSplitP = (delegate* unmanaged<nint, int, int, nint*, int>)split;
            s_commFreeP = (delegate* unmanaged<nint*, int>)free;
            s_commDupP = (delegate* unmanaged<nint, nint*, int>)dup;
            s_allreduceP = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)allreduce;
            s_allgatherP = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)allgather;
            s_reduceScatterBlockP = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)reduceScatter;
            s_bcastP = (delegate* unmanaged<void*, int, nint, int, nint, int>)bcast;
            s_barrierP = (delegate* unmanaged<nint, int>)barrier;
            s_iallreduceP = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)iallreduce;
            s_iallgatherP = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int>)iallgather;
            s_ireduceScatterBlockP = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)ireduceScatter;
            s_ibcastP = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)ibcast;
            s_testP = (delegate* unmanaged<nint*, int*, void*, int>)test;
            s_statusIgnore = null;

            CommWorld = Export(library, OpenMpi.CommWorld);
            CommNull = Export(library, OpenMpi.CommNull);
            Float = Export(library, OpenMpi.Float);
            Int = Export(library, OpenMpi.Int);
            OpSum = Export(library, OpenMpi.OpSum);
            OpMax = Export(library, OpenMpi.OpMax);
            OpMin = Export(library, OpenMpi.OpMin);
            ErrorsReturn = Export(library, OpenMpi.ErrorsReturn);
            InPlace = OpenMpi.InPlace;
        }
        else
        {
            s_abortI = (delegate* unmanaged<int, int, int>)abort;
            s_commRankI = (delegate* unmanaged<int, int*, int>)rank;
            s_commSizeI = (delegate* unmanaged<int, int*, int>)size;
            s_commSetErrhandlerI = (delegate* unmanaged<int, int, int>)setErr;
            s_commSplitI = (delegate* unmanaged<int, int, int, int*, int>)split;
            s_commFreeI = (delegate* unmanaged<int*, int>)free;
            s_commDupI = (delegate* unmanaged<int, int*, int>)dup;
            s_allreduceI = (delegate* unmanaged<void*, void*, int, int, int, int, int>)allreduce;
            s_allgatherI = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)allgather;
            s_reduceScatterBlockI = (delegate* unmanaged<void*, void*, int, int, int, int, int>)reduceScatter;
            s_bcastI = (delegate* unmanaged<void*, int, int, int, int, int>)bcast;
            s_barrierI = (delegate* unmanaged<int, int>)barrier;
            s_iallreduceI = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)iallreduce;
            s_iallgatherI = (delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int>)iallgather;
            s_ireduceScatterBlockI = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)ireduceScatter;
            s_ibcastI = (delegate* unmanaged<void*, int, int, int, int, int*, int>)ibcast;
            s_testI = (delegate* unmanaged<int*, int*, void*, int>)test;
            s_statusIgnore = (void*)1;

            CommWorld = Mpich.CommWorld;
            CommNull = Mpich.CommNull;
            Float = Mpich.Float;
            Int = Mpich.Int;
            OpSum = Mpich.OpSum;
            OpMax = Mpich.OpMax;
            OpMin = Mpich.OpMin;
            ErrorsReturn = Mpich.ErrorsReturn;
            InPlace = Mpich.InPlace;
        }
    }

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new MpiException($"The loaded MPI library ({MpiLibrary.LoadedPath}) does not export {name}; it is not a usable MPI-3 library.");

    internal static int Initialized(int* flag) => s_initialized(flag);
    internal static int Finalized(int* flag) => s_finalized(flag);
    internal static int InitThread(int required, int* provided) => s_initThread(null, null, required, provided);
    internal static int Finalize() => s_finalize();
    internal static int ErrorString(int code, byte* text, int* length) => s_errorString(code, text, length);
    internal static int LibraryVersion(byte* text, int* length) => s_libraryVersion(text, length);

    // Under the MPICH ABI every handle value fits in an int (they are the constants above or values MPICH
    // returned as int), so the (int) casts below never lose bits.
    internal static int Abort(nint comm, int code) =>
        s_pointerHandles ? s_abortP(comm, code) : s_abortI((int)comm, code);

    internal static int CommRank(nint comm, int* rank) =>
        s_pointerHandles ? s_commRankP(comm, rank) : s_commRankI((int)comm, rank);

    internal static int CommSize(nint comm, int* size) =>
        s_pointerHandles ? s_commSizeP(comm, size) : s_commSizeI((int)comm, size);

    internal static int CommSetErrhandler(nint comm, nint handler) =>
        s_pointerHandles ? s_commSetErrhandlerP(comm, handler) : s_commSetErrhandlerI((int)comm, (int)handler);

    internal static int CommSplit(nint comm, int color, int key, out nint newComm)
    {
        int rc;
        if (s_pointerHandles)
        {
            nint created;
            rc = s_commSplitP(comm, color, key, &created);
            newComm = created;
        }
        else
        {
            int created;
            rc = s_commSplitI((int)comm, color, key, &created);
            newComm = created;
        }
        return rc;
    }

    internal static int CommDup(nint comm, out nint newComm)
    {
        int rc;
        if (s_pointerHandles)
        {
            nint created;
            rc = s_commDupP(comm, &created);
            newComm = created;
        }
        else
        {
            int created;
            rc = s_commDupI((int)comm, &created);
            newComm = created;
        }
        return rc;
    }

    internal static int CommFree(ref nint comm)
    {
        int rc;
        if (s_pointerHandles)
        {
            nint handle = comm;
            rc = s_commFreeP(&handle);
            comm = handle;
        }
        else
        {
            int handle = (int)comm;
            rc = s_commFreeI(&handle);
            comm = handle;
        }
        return rc;
    }

    internal static int Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm) =>
        s_pointerHandles
            ? s_allreduceP(send, receive, count, type, op, comm)
            : s_allreduceI(send, receive, count, (int)type, (int)op, (int)comm);

    internal static int Allgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm) =>
        s_pointerHandles
            ? s_allgatherP(send, sendCount, sendType, receive, receiveCount, receiveType, comm)
            : s_allgatherI(send, sendCount, (int)sendType, receive, receiveCount, (int)receiveType, (int)comm);

    internal static int ReduceScatterBlock(void* send, void* receive, int receiveCount, nint type, nint op, nint comm) =>
        s_pointerHandles
            ? s_reduceScatterBlockP(send, receive, receiveCount, type, op, comm)
            : s_reduceScatterBlockI(send, receive, receiveCount, (int)type, (int)op, (int)comm);

    internal static int Bcast(void* buffer, int count, nint type, int root, nint comm) =>
        s_pointerHandles ? s_bcastP(buffer, count, type, root, comm) : s_bcastI(buffer, count, (int)type, root, (int)comm);

    internal static int Barrier(nint comm) =>
        s_pointerHandles ? s_barrierP(comm) : s_barrierI((int)comm);

    // The nonblocking forms, completed by MpiRequest.Wait: a request is an int in the MPICH ABI, a pointer in Open MPI's.
    internal static int Iallreduce(void* send, void* receive, int count, nint type, nint op, nint comm, out nint request)
    {
        nint created = 0;
        int handle = 0;
        int rc = s_pointerHandles
            ? s_iallreduceP(send, receive, count, type, op, comm, &created)
            : s_iallreduceI(send, receive, count, (int)type, (int)op, (int)comm, &handle);
        request = s_pointerHandles ? created : handle;
        return rc;
    }

    internal static int Iallgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm, out nint request)
    {
        nint created = 0;
        int handle = 0;
        int rc = s_pointerHandles
            ? s_iallgatherP(send, sendCount, sendType, receive, receiveCount, receiveType, comm, &created)
            : s_iallgatherI(send, sendCount, (int)sendType, receive, receiveCount, (int)receiveType, (int)comm, &handle);
        request = s_pointerHandles ? created : handle;
        return rc;
    }

    internal static int IreduceScatterBlock(void* send, void* receive, int receiveCount, nint type, nint op, nint comm, out nint request)
    {
        nint created = 0;
        int handle = 0;
        int rc = s_pointerHandles
            ? s_ireduceScatterBlockP(send, receive, receiveCount, type, op, comm, &created)
            : s_ireduceScatterBlockI(send, receive, receiveCount, (int)type, (int)op, (int)comm, &handle);
        request = s_pointerHandles ? created : handle;
        return rc;
    }

    internal static int Ibcast(void* buffer, int count, nint type, int root, nint comm, out nint request)
    {
        nint created = 0;
        int handle = 0;
        int rc = s_pointerHandles
            ? s_ibcastP(buffer, count, type, root, comm, &created)
            : s_ibcastI(buffer, count, (int)type, root, (int)comm, &handle);
        request = s_pointerHandles ? created : handle;
        return rc;
    }

    /// <summary>MPI_Test: sets <paramref name="done"/> once the request has completed (MPI then frees it).</summary>
    internal static int Test(ref nint request, out bool done)
    {
        int flag = 0;
        int rc;
        if (s_pointerHandles)
        {
            nint handle = request;
            rc = s_testP(&handle, &flag, s_statusIgnore);
            request = handle;
        }
        else
        {
            int handle = (int)request;
            rc = s_testI(&handle, &flag, s_statusIgnore);
            request = handle;
        }
        done = flag != 0;
        return rc;
    }
}

/// <summary>Which binary interface the loaded libmpi follows.</summary>
internal enum MpiAbi
{
    /// <summary>MPICH, Intel MPI, MVAPICH, Cray MPICH: int handles.</summary>
    Mpich,

    /// <summary>Open MPI: handles are addresses of exported objects.</summary>
    OpenMpi,
}
