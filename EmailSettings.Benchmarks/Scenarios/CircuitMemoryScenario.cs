using EmailSettings.Benchmarks.Harness;

namespace EmailSettings.Benchmarks.Scenarios;

public static class CircuitMemoryScenario
{
    public static Task RunAsync(Report report) => throw new NotImplementedException("circuit-memory waits for the settings page (branch ui).");
}
