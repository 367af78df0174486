namespace EmailSettings.Tests.Support;

public static class TempFolder
{
    /// <summary>A new folder under the system temp folder, readable by other users (Dovecot needs to traverse it).</summary>
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still held by a dying child process must not fail the test that used it.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
