using System.Text.Json;
using System.Text.Json.Serialization;
using ChaosEdge.Inventory;

namespace ChaosEdge.Faults.Journal;

/// <summary>
/// The on-disk list of faults that may still be applied to a lab. A fault is written here before it is injected and
/// removed only after its restore is verified, so after a crash (or a SIGKILL) of the harness <c>chaosedge recover</c>
/// knows exactly what to undo. Every change replaces the file atomically (write, flush to disk, rename).
/// </summary>
public sealed class FaultJournal
{
    /// <summary>Environment variable that overrides where a lab's journal lives.</summary>
    public const string PathVariable = "CHAOSEDGE_JOURNAL";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly Lock gate = new();

    public FaultJournal(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>The journal of the lab an inventory describes: <c>.chaosedge/journal.json</c> next to the inventory, unless <see cref="PathVariable"/> says otherwise.</summary>
    public static FaultJournal For(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var overridden = Environment.GetEnvironmentVariable(PathVariable);
        return new FaultJournal(string.IsNullOrEmpty(overridden)
            ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(inventory.SourcePath)!, ".chaosedge", "journal.json")
            : overridden);
    }

    /// <summary>Faults that may still be applied, oldest first.</summary>
    public IReadOnlyList<FaultRecord> Pending()
    {
        lock (gate)
        {
            return Read();
        }
    }

    /// <summary>Adds or replaces a record (by id).</summary>
    public void Write(FaultRecord record)
    {
        lock (gate)
        {
            var records = Read().Where(r => r.Id != record.Id).Append(record).ToList();
            Save(records);
        }
    }

    /// <summary>Removes a record once its fault is verified restored.</summary>
    public void Remove(string id)
    {
        lock (gate)
        {
            Save([.. Read().Where(r => r.Id != id)]);
        }
    }

    private List<FaultRecord> Read()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<FaultRecord>>(File.ReadAllText(Path), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new Errors.ChaosEdgeException($"The fault journal '{Path}' cannot be read ({e.Message}). Check the lab by hand before removing it.", e);
        }
    }

    private void Save(List<FaultRecord> records)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, records, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
