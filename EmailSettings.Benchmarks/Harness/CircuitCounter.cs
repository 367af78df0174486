using System.Diagnostics.Metrics;

namespace EmailSettings.Benchmarks.Harness;

/// <summary>
/// Live Blazor circuits in this process, from ASP.NET Core's own metric (<c>aspnetcore.components.circuit.active</c>,
/// an up-down counter of the "Microsoft.AspNetCore.Components.Server.Circuits" meter). The memory scenario waits on
/// it: a closed tab's circuit is torn down a little later, and measuring before that counts its release against the
/// next group of tabs (the negative figures of earlier runs).
/// </summary>
public sealed class CircuitCounter : IDisposable
{
    private const string Instrument = "aspnetcore.components.circuit.active";
    private readonly MeterListener listener = new();
    private long active;

    public CircuitCounter()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == Instrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref active, delta));
        listener.Start();
    }

    public long Active => Interlocked.Read(ref active);

    /// <summary>Waits until exactly <paramref name="expected"/> circuits are alive; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(long expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Active != expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {expected} live circuits, found {Active} after {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(100);
        }
    }

    public void Dispose() => listener.Dispose();
}
