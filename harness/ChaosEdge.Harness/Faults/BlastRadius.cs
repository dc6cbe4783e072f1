using ChaosEdge.Errors;
using ChaosEdge.Inventory;

namespace ChaosEdge.Faults;

/// <summary>
/// The blast-radius guard: a fault, or faults applied together, that would leave etcd without a quorum (a majority
/// of its members) is refused unless the scenario declares that losing quorum is what it tests.
/// </summary>
public static class BlastRadius
{
    /// <summary>Servers whose etcd members the faults take out, together.</summary>
    public static IReadOnlyCollection<string> MembersLost(LabInventory inventory, IEnumerable<IFault> faults) =>
        [.. faults.SelectMany(f => f.EtcdMembersLost(inventory)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Whether the faults together would cost etcd its quorum.</summary>
    public static bool LosesQuorum(LabInventory inventory, IEnumerable<IFault> faults)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var members = inventory.EtcdMembers.Count();
        return members - MembersLost(inventory, faults).Count < (members / 2) + 1;
    }

    /// <summary>Refuses faults that would cost quorum, unless <paramref name="quorumLossIntended"/>.</summary>
    /// <exception cref="FaultInjectionException">The faults would lose quorum and that was not declared.</exception>
    public static void Check(LabInventory inventory, IReadOnlyCollection<IFault> faults, bool quorumLossIntended)
    {
        if (quorumLossIntended || !LosesQuorum(inventory, faults))
        {
            return;
        }

        var members = inventory.EtcdMembers.Count();
        var lost = MembersLost(inventory, faults);
        throw new FaultInjectionException(
            $"Refused: {string.Join(" + ", faults.Select(f => f.Description))} would take out etcd member(s) {string.Join(", ", lost.Select(m => $"'{m}'"))}, "
            + $"leaving {members - lost.Count} of {members} — below the quorum of {(members / 2) + 1}. A scenario that means to test quorum loss must declare it.");
    }
}
