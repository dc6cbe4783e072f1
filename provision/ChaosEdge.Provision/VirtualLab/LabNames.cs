using System.Globalization;
using System.Text.RegularExpressions;
using ChaosEdge.Errors;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// Names of everything a lab creates, derived from the lab's name so that <c>down</c> can find it all even without
/// the lab's state file. Every interface name stays within Linux's 15-character limit.
/// </summary>
public sealed partial class LabNames
{
    /// <summary>Longest lab name: keeps <c>ce-NAME-NN</c> within 15 characters.</summary>
    public const int MaxNameLength = 8;

    /// <summary>Most nodes in one lab.</summary>
    public const int MaxNodes = 16;

    /// <summary>The name of the lab <c>lab up</c> builds when none is given.</summary>
    public const string DefaultName = "default";

    /// <summary>Linux's limit on interface names (IFNAMSIZ - 1).</summary>
    public const int InterfaceNameLimit = 15;

    private const string Prefix = "ce-";

    public LabNames(string lab)
    {
        if (!IsValid(lab))
        {
            throw new ChaosEdgeException($"Lab name '{lab}' is invalid: use 1–{MaxNameLength} lower-case letters and digits, starting with a letter.");
        }

        Lab = lab;
    }

    /// <summary>The lab's name.</summary>
    public string Lab { get; }

    /// <summary>The lab's bridge (its switch) in the harness's namespace.</summary>
    public string Bridge => Prefix + Lab;

    /// <summary>Prefix of every namespace and host-side link of this lab.</summary>
    public string MemberPrefix => Prefix + Lab + "-";

    /// <summary>The name of node <paramref name="index"/> (1-based): <c>edge-1</c>, <c>edge-2</c>, …</summary>
    public static string NodeName(int index) => "edge-" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The network namespace of a node.</summary>
    public string Namespace(string node) => MemberPrefix + node;

    /// <summary>The host-side end of a node's veth pair, attached to the bridge.</summary>
    public string HostLink(int index) => MemberPrefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="lab"/> is a valid lab name.</summary>
    public static bool IsValid(string lab) => ValidName().IsMatch(lab);

    [GeneratedRegex("^[a-z][a-z0-9]{0,7}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}
