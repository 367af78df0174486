using System.Runtime.InteropServices;

namespace EmailSettings.Benchmarks.Harness;

public static class MachineInfo
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC | {RuntimeInformation.OSDescription} | {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()} | "
            + $"{Environment.ProcessorCount} cores | .NET {Environment.Version} | {Load()}";
    }

    public static string Load() =>
        File.Exists("/proc/loadavg") ? "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";
}
