using System.Diagnostics;

namespace EmailSettings.Tests.Support;

/// <summary>The Portal's real entry point in its own process (<c>dotnet EmailSettings.Portal.dll</c>), as an operator starts it.</summary>
public static class PortalProcess
{
    /// <summary>
    /// Runs the Portal in Production in <paramref name="folder"/> with <paramref name="environment"/> added to its
    /// environment, writes <paramref name="stdin"/> and waits (at most 60 s) until it exits.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string folder, IReadOnlyDictionary<string, string> environment, string stdin = "", params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The Portal did not exit within 60 s. Output: {await output}");
        }
        return (process.ExitCode, await output, await errors);
    }
}
