using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0025: tensor-parallel groups of 4 on machines that run 6 ranks each: one group straddles two machines.</summary>
public static class MeshAcrossHosts
{
    private const int RanksPerHost = 6;

    public static void Run() => Launcher.Run(12, world =>
    {
        using var mesh = DeviceMesh.Create(world, 3, 4);   // TP0025: a tp of 1, 2, 3 or 6 keeps every group on one machine
    });
}
