using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace EmailSettings.Tests.Support;

/// <summary>The Portal's real entry point in its own process (<c>dotnet EmailSettings.Portal.dll</c>), as an operator starts it.</summary>
public static class PortalProcess
{
    /// <summary>The built Portal run with <c>dotnet</c> in <paramref name="folder"/>, its standard streams redirected.</summary>
    private static ProcessStartInfo PortalStart(string folder)
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
        return start;
    }

    /// <summary>
    /// Runs the Portal in Production in <paramref name="folder"/> with <paramref name="environment"/> added to its
    /// environment, writes <paramref name="stdin"/> and waits (at most 60 s) until it exits.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string folder, IReadOnlyDictionary<string, string> environment, string stdin = "", params string[] args)
    {
        var start = PortalStart(folder);
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

    /// <summary>
    /// Starts the Portal as a long-running node on a free loopback port, with <paramref name="environment"/> added,
    /// and waits (at most <paramref name="readyWithin"/>, 120 s by default) until <c>/health/ready</c> answers 200.
    /// Runs in Development: that is where ASP.NET Core serves the static web assets (blazor.web.js, MudBlazor's files)
    /// of a build that was not published, which a browser needs. Log lines go to one line each, kept in
    /// <see cref="RunningPortal.Output"/>.
    /// </summary>
    public static async Task<RunningPortal> StartAsync(string name, string folder, IReadOnlyDictionary<string, string> environment, TimeSpan? readyWithin = null)
    {
        var port = FreePort.Next();
        var start = PortalStart(folder);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var portal = new RunningPortal(name, Process.Start(start)!, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/")));
        await portal.WaitUntilReadyAsync(readyWithin ?? TimeSpan.FromSeconds(120));
        return portal;
    }
}

/// <summary>A Portal process started by <see cref="PortalProcess.StartAsync"/>. Dispose stops it (SIGTERM, then SIGKILL).</summary>
public sealed class RunningPortal : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    internal RunningPortal(string name, Process process, Uri baseUri)
    {
        Name = name;
        this.process = process;
        BaseUri = baseUri;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
    }

    public string Name { get; }

    public Uri BaseUri { get; }

    public string BaseUrl => BaseUri.ToString().TrimEnd('/');

    public bool HasExited => process.HasExited;

    /// <summary>Every line the process wrote so far (stdout and stderr).</summary>
    public IReadOnlyList<string> Output => output.ToArray();

    public string OutputText => string.Join("\n", output);

    private void Keep(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    internal async Task WaitUntilReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Portal {Name} exited with code {process.ExitCode} before it was ready:\n{OutputText}");
            }
            try
            {
                using var ready = await http.GetAsync("health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Portal {Name} was not ready within {within.TotalSeconds:0} s:\n{OutputText}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Kills the process with SIGKILL, as a crash or an out-of-memory kill would: nothing is shut down cleanly.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: false);
        }
        await process.WaitForExitAsync();
    }

    /// <summary>Asks the process to stop (SIGTERM, a graceful shutdown) and waits; kills it after 30 s.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }
        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process.Dispose();
    }
}
