using System.Diagnostics;
using System.Globalization;

namespace EmailSettings.Benchmarks.Harness;

/// <summary>Timings of one thing, in milliseconds.</summary>
public sealed class Samples
{
    private readonly List<double> values = [];

    public void Add(TimeSpan elapsed) => values.Add(elapsed.TotalMilliseconds);

    public void Add(double milliseconds) => values.Add(milliseconds);

    public int Count => values.Count;

    public double Median
    {
        get
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN
                : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
                : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public double Min => values.Count == 0 ? double.NaN : values.Min();

    public double Max => values.Count == 0 ? double.NaN : values.Max();
}

/// <summary>One thing to time: an untimed preparation, then the timed action.</summary>
public sealed record Contender(string Name, Func<Task> Action, Func<Task>? Prepare = null);

/// <summary>
/// Runs a baseline and its subjects interleaved in the same process (baseline, subject, baseline, subject, ...;
/// the order rotates every round so nobody always runs on a warmer cache), after warm-up rounds, so machine
/// noise hits all of them alike. Preparation is not timed.
/// </summary>
public static class SideBySide
{
    public static async Task<Samples[]> RunAsync(int warmup, int repetitions, params Contender[] contenders)
    {
        var samples = contenders.Select(_ => new Samples()).ToArray();
        for (var round = 0; round < warmup + repetitions; round++)
        {
            for (var turn = 0; turn < contenders.Length; turn++)
            {
                var index = (turn + round) % contenders.Length;
                var contender = contenders[index];
                if (contender.Prepare is not null)
                {
                    await contender.Prepare();
                }
                var elapsed = await TimeAsync(contender.Action);
                if (round >= warmup)
                {
                    samples[index].Add(elapsed);
                }
            }
            Console.Write('.');
        }
        Console.WriteLine();
        return samples;
    }

    public static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start);
    }
}

/// <summary>One line of the result table.</summary>
public sealed record ResultRow(
    string Scenario,
    string Case,
    string Measure,
    string Baseline,
    string Ratio,
    string Target,
    bool Pass,
    string Notes = "");

public sealed class Report
{
    private readonly List<ResultRow> rows = [];

    public IReadOnlyList<ResultRow> Rows => rows;

    public void Add(ResultRow row)
    {
        rows.Add(row);
        Console.WriteLine($"  -> {row.Case}: {row.Measure} | baseline {row.Baseline} | ratio {row.Ratio} | target {row.Target} | {(row.Pass ? "PASS" : "FAIL")} {row.Notes}");
    }

    public static string Ms(double value) => value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";

    public static string X(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public string ToMarkdown()
    {
        var lines = new List<string>
        {
            "| Scenario | Case | Measured (median) | Baseline (median) | Ratio | Target | Result |",
            "|---|---|---|---|---|---|---|",
        };
        lines.AddRange(rows.Select(r =>
            $"| {r.Scenario} | {r.Case} | {r.Measure} | {r.Baseline} | {r.Ratio} | {r.Target} | {(r.Pass ? "pass" : "**FAIL**")}{(r.Notes.Length > 0 ? " (" + r.Notes + ")" : "")} |"));
        return string.Join(Environment.NewLine, lines);
    }
}
