using ChaosEdge.Errors;
using ChaosEdge.Provision.VirtualLab;

namespace ChaosEdge.Tests.VirtualLab;

public sealed class LabNamesTests
{
    [Test]
    public void Every_interface_name_fits_linux_limit_for_the_longest_lab_name_and_most_nodes()
    {
        var names = new LabNames(new string('z', LabNames.MaxNameLength));
        var interfaces = Enumerable.Range(1, LabNames.MaxNodes).Select(names.HostLink).Append(names.Bridge).Append(LabShape.DefaultInterface);
        Assert.That(interfaces, Has.All.Length.LessThanOrEqualTo(LabNames.InterfaceNameLimit));
    }

    [TestCase("")]
    [TestCase("Default")]
    [TestCase("toolongname")]
    [TestCase("1lab")]
    [TestCase("a-b")]
    public void An_invalid_lab_name_is_refused_with_the_rule(string name) =>
        Assert.That(() => new LabNames(name), Throws.InstanceOf<ChaosEdgeException>().With.Message.EqualTo(
            $"Lab name '{name}' is invalid: use 1–8 lower-case letters and digits, starting with a letter."));

    [Test]
    public void Two_labs_never_share_a_name_prefix()
    {
        var a = new LabNames("a");
        var ab = new LabNames("ab");
        Assert.That(ab.Namespace("edge-1"), Does.Not.StartWith(a.MemberPrefix));
        Assert.That(ab.Bridge, Is.Not.EqualTo(a.Bridge));
    }

    [Test]
    public void Address_plan_keeps_every_lab_address_in_the_benchmarking_range()
    {
        for (var slot = 0; slot < LabAddressPlan.MaxSlots; slot++)
        {
            var plan = new LabAddressPlan(slot);
            var all = Enumerable.Range(1, LabNames.MaxNodes).Select(plan.Node).Concat(Enumerable.Range(1, LabNames.MaxNodes).Select(plan.Bmc))
                .Append(plan.Harness).Append(plan.ControlPlaneVip).Concat(plan.ServiceVipPool);
            Assert.That(all.All(LabAddressPlan.LabRange.Contains), $"slot {slot}");
            Assert.That(plan.Subnet.Contains(plan.Bmc(1)), Is.False);
        }
    }
}
