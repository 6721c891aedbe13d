using TpCodegen.Collectives;

namespace AnalyzerGallery;

/// <summary>TP0025: tensor-parallel groups of 3 on machines that run 4 ranks each: one group straddles two machines.</summary>
public static class MeshAcrossHosts
{
    private const int RanksPerHost = 4;

    public static void Run() => Launcher.Run(12, world =>
    {
        using var mesh = DeviceMesh.Create(world, 4, 3);   // TP0025: a tp of 1, 2 or 4 keeps every group on one machine
    });
}
