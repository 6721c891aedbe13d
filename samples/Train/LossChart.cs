namespace TrainSample;

/// <summary>The loss curves of the runs on one chart, as a PNG.</summary>
public static class LossChart
{
    public static void Save(string path, IReadOnlyDictionary<string, float[]> curves)
    {
        var plot = new ScottPlot.Plot();
        // Thicker to thinner, so the curves that coincide all stay visible.
        float width = 2f * curves.Count;
        foreach (var (name, losses) in curves)
        {
            var line = plot.Add.Scatter(Enumerable.Range(1, losses.Length).Select(i => (double)i).ToArray(), losses.Select(l => (double)l).ToArray());
            line.LegendText = name;
            line.LineWidth = width;
            line.MarkerSize = 0;
            width -= 2f;
        }
        plot.Title("Reverse task: training loss by mesh");
        plot.XLabel("step");
        plot.YLabel("cross-entropy");
        plot.ShowLegend();
        // The curves fall from the upper left: the legend goes where they are not.
        plot.Legend.Alignment = ScottPlot.Alignment.UpperRight;
        plot.SavePng(path, 900, 500);
    }
}
