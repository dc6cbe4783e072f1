using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Processes;

namespace ChaosEdge.Storage;

/// <summary>
/// The alternative I/O probe: a real <c>fio</c> run — 4 KiB random writes at queue depth 1, as the kbench figures
/// Longhorn users publish are taken — against a block device given by fio arguments (the lab's volume through fio's
/// nbd engine, or a device path), with the completion-latency percentiles read from fio's JSON output.
/// </summary>
public static class FioLatencyRun
{
    /// <summary>fio's arguments for the lab's volume over NBD (fio's nbd engine speaks to the engine directly).</summary>
    public static IReadOnlyList<string> Nbd(System.Net.IPEndPoint endpoint) => ["--ioengine=nbd", $"--uri=nbd://{endpoint}", "--size=64m"];

    /// <summary>fio's arguments for a block device on the machine fio runs on (<c>/dev/longhorn/VOLUME</c>, say).</summary>
    public static IReadOnlyList<string> Device(string path) => ["--ioengine=libaio", "--direct=1", $"--filename={path}"];

    /// <summary>Runs fio for <paramref name="duration"/> and returns its write figures.</summary>
    /// <exception cref="Errors.PrerequisiteMissingException">fio is not installed.</exception>
    /// <exception cref="Errors.ChaosEdgeException">fio failed, or its output has no write figures.</exception>
    public static async Task<FioFigures> RunAsync(IReadOnlyList<string> target, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var output = Path.Combine(Path.GetTempPath(), $"chaosedge-fio-{Guid.NewGuid():N}.json");
        try
        {
            string[] arguments = ["--name=chaosedge-latency", "--rw=randwrite", "--bs=4k", "--iodepth=1", "--numjobs=1", "--time_based",
                $"--runtime={Math.Max(1, (int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture)}", "--output-format=json", $"--output={output}", .. target];
            ProcessResult result;
            try
            {
                result = await ProcessRunner.RunAsync("fio", arguments, timeout: duration + TimeSpan.FromMinutes(1), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new Errors.PrerequisiteMissingException("The fio probe needs 'fio' (Debian package 'fio').");
            }

            if (result.ExitCode != 0 || !File.Exists(output))
            {
                throw new Errors.ChaosEdgeException($"fio {string.Join(' ', arguments)} exited with {result.ExitCode}: {(result.Stdout + result.Stderr).Trim()}");
            }

            return Parse(await File.ReadAllTextAsync(output, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Reads the write figures of fio's JSON output (anything fio printed before the JSON is skipped).</summary>
    public static FioFigures Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var start = json.IndexOf('{', StringComparison.Ordinal);
        var write = start < 0 ? null : (JsonNode.Parse(json[start..])?["jobs"] as JsonArray)?.FirstOrDefault()?["write"];
        var clat = write?["clat_ns"];
        var percentiles = clat?["percentile"] as JsonObject;
        if (write is null || percentiles is null || (long?)write["total_ios"] is not > 0)
        {
            throw new Errors.ChaosEdgeException("fio's output has no write latency figures (did the job write anything?).");
        }

        static TimeSpan Ns(JsonNode? value) => TimeSpan.FromTicks((long)((double?)value ?? 0) / 100);
        return new FioFigures((long)write["total_ios"]!, (double)write["iops"]!, Ns(percentiles["50.000000"]), Ns(percentiles["99.000000"]), Ns(percentiles["99.900000"]), Ns(clat!["max"]));
    }
}

/// <summary>A fio run's 4 KiB random-write figures: completions, IOPS and completion-latency percentiles.</summary>
public sealed record FioFigures(long Writes, double Iops, TimeSpan P50, TimeSpan P99, TimeSpan P999, TimeSpan Max);
