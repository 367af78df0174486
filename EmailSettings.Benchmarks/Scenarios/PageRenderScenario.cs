using EmailSettings.Benchmarks.Harness;

namespace EmailSettings.Benchmarks.Scenarios;

public static class PageRenderScenario
{
    public static Task RunAsync(Report report) => throw new NotImplementedException("page-render waits for the settings page (branch ui).");
}
