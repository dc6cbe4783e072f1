using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Inventory;

/// <summary>
/// Loads and validates an inventory file. Every problem is collected with file, line, column and field, and all of
/// them are thrown together in one <see cref="ConfigurationInvalidException"/>; nothing is contacted while loading.
/// </summary>
public static partial class InventoryLoader
{
    /// <summary>The largest service VIP pool accepted.</summary>
    public const int MaxPoolSize = 4096;

    /// <summary>Loads the inventory at <paramref name="path"/>; relative paths inside it are relative to its directory.</summary>
    /// <param name="path">The inventory file.</param>
    /// <param name="forReview">Accept SSH keys and known_hosts files that do not exist here yet: the inventory is only read for review
    /// (<c>provision --plan</c>), nothing is contacted.</param>
    /// <exception cref="ConfigurationInvalidException">The file is missing or invalid; every problem is listed.</exception>
    public static LabInventory Load(string path, bool forReview = false)
    {
        var text = ReadText(path);
        var fullPath = Path.GetFullPath(path);
        return Parse(text, path, Path.GetDirectoryName(fullPath)!, fullPath, forReview);
    }

    /// <summary>Parses inventory text.</summary>
    /// <param name="yaml">The file's content.</param>
    /// <param name="displayName">The file as the user named it; used in every message.</param>
    /// <param name="baseDirectory">Directory relative paths are resolved against.</param>
    /// <param name="sourcePath">Absolute path recorded in the result; <paramref name="displayName"/> under <paramref name="baseDirectory"/> by default.</param>
    /// <param name="forReview">Accept SSH private keys that do not exist here (see <see cref="Load"/>).</param>
    /// <exception cref="ConfigurationInvalidException">The text is invalid; every problem is listed.</exception>
    public static LabInventory Parse(string yaml, string displayName, string baseDirectory, string? sourcePath = null, bool forReview = false)
    {
        var problems = new YamlProblems(displayName);
        var root = ReadRoot(yaml, problems);
        LabInventory? inventory = null;
        if (root is not null)
        {
            inventory = new Reader(problems, baseDirectory, forReview).Read(root, sourcePath ?? Path.Combine(baseDirectory, displayName));
        }

        if (problems.All.Count > 0 || inventory is null)
        {
            var ordered = problems.All.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList();
            throw new ConfigurationInvalidException(displayName, ordered);
        }

        return inventory;
    }

    /// <summary>Reads a configuration file, or throws the configuration error that names it.</summary>
    internal static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, string.Empty, $"cannot be read: {e.Message}")]);
        }
    }

    internal static YamlMappingNode? ReadRoot(string yaml, YamlProblems problems, string rootShape = "must be a mapping with keys 'cluster', 'network', 'nodes', 'controlPlane'.")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = e.InnerException is { } inner && e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) is false
                ? inner.Message
                : e.Message;
            problems.Add((int)e.Start.Line, (int)e.Start.Column, string.Empty, $"is not valid YAML: {Sentence(message)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, when the file ends inside an open flow collection.
            var lines = yaml.Split('\n').Length;
            problems.Add(lines, 1, string.Empty, "is not valid YAML: the file ends inside an unclosed '[', '{' or quote.");
            return null;
        }
        catch (ArgumentException e)
        {
            // The representation model throws this for a key repeated in one mapping.
            problems.Add(0, 0, string.Empty, $"is not valid YAML: {Sentence(e.Message)}");
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            problems.Add(0, 0, string.Empty, "is empty.");
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            problems.Add(stream.Documents[0].RootNode, string.Empty, rootShape);
            return null;
        }

        return mapping;
    }

    private static string Sentence(string text)
    {
        var trimmed = text.Trim();
        return trimmed.EndsWith('.') ? trimmed : trimmed + ".";
    }

    internal static string Quote(IPAddress address) => $"'{address}'";

    internal static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
