namespace TpCodegen.Checkpoints;

/// <summary>
/// Sizes a file through any symbolic links without opening it. Opening a FIFO for reading blocks until a writer
/// appears, so a checkpoint path is checked first: pipes, devices and sockets report a length of 0, which no
/// checkpoint file has, and are refused before they are opened.
/// </summary>
internal static class RegularFile
{
    /// <summary>The length of the file <paramref name="path"/> leads to (0 for a pipe or a device).</summary>
    /// <exception cref="FileNotFoundException">Nothing is there, or a link leads nowhere.</exception>
    /// <exception cref="InvalidDataException">It is a directory.</exception>
    public static long Length(string path, string what)
    {
        if (Directory.Exists(path))
            throw new InvalidDataException($"{what} '{path}' is a directory, not a file.");
        FileSystemInfo target = new FileInfo(path);
        if (target.Exists && target.LinkTarget is not null)
            target = target.ResolveLinkTarget(returnFinalTarget: true) ?? target;
        if (!target.Exists)
            throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
        return (target as FileInfo)?.Length ?? 0;
    }
}
