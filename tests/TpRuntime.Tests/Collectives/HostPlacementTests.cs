using TpCodegen.Collectives;
using TpCodegen.Collectives.InProcess;

namespace TpCodegen.Tests.Collectives;

/// <summary>Tensor-parallel groups that span machines are named, with the launch that would keep them on one.</summary>
public class HostPlacementTests
{
    [Fact]
    public void Groups_on_one_host_each_give_no_warning()
    {
        Assert.Null(HostPlacement.Check(["a", "a", "b", "b"], tensorParallel: 2));
        Assert.Null(HostPlacement.Check(["a", "a", "a", "a"], tensorParallel: 4));
        Assert.Null(HostPlacement.Check(["a", "b", "c"], tensorParallel: 1));
    }

    [Fact]
    public void Round_robin_placement_names_every_spanning_group_and_the_block_launch()
    {
        string? warning = HostPlacement.Check(["node-a", "node-b", "node-a", "node-b"], tensorParallel: 2);

        Assert.Equal(
            "Tensor parallelism crosses machines: tp[0] (world ranks 0-1) spans node-a, node-b; tp[1] (world ranks 2-3) spans node-a, node-b. "
            + "Its all-reduces (two per layer per token) then go over the network instead of the links inside a machine. "
            + "Every host runs a multiple of tp=2 ranks, so each group fits on one: start the ranks host by host "
            + "(MPICH: mpiexec -ppn 2 or a hostfile with ':2'; Open MPI: --map-by slot), so that consecutive ranks share a machine.",
            warning);
    }

    [Fact]
    public void A_degree_no_host_can_hold_asks_for_a_smaller_one()
    {
        string? warning = HostPlacement.Check(["a", "a", "a", "b", "b", "b"], tensorParallel: 2);

        Assert.NotNull(warning);
        Assert.Contains("tp[1] (world ranks 2-3) spans a, b", warning);
        Assert.DoesNotContain("tp[0]", warning);
        Assert.EndsWith("Hosts run a: 3, b: 3 ranks; choose a tp that divides every host's rank count (at most 3) and put the rest into data parallelism.", warning);
    }

    [Fact]
    public void Ranks_that_do_not_form_whole_groups_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => HostPlacement.Check(["a", "a", "a"], tensorParallel: 2));
        Assert.StartsWith("3 ranks do not form groups of 2.", error.Message);
    }

    [Fact]
    public void In_process_meshes_sit_on_this_machine_without_communicating_for_it()
    {
        var results = InProcessWorld.Run(4, world =>
        {
            long before = world.Counters.Calls(CollectiveKind.AllGather);
            using var mesh = DeviceMesh.Create(world, dataParallel: 2, tensorParallel: 2);
            return (mesh.Hosts, mesh.PlacementWarning, Gathers: world.Counters.Calls(CollectiveKind.AllGather) - before);
        });

        foreach (var (hosts, warning, gathers) in results)
        {
            Assert.Equal(Enumerable.Repeat(Environment.MachineName, 4), hosts);
            Assert.Null(warning);
            Assert.Equal(0, gathers);
        }
    }
}
