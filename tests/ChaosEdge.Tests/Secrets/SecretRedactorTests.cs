using ChaosEdge.Secrets;

namespace ChaosEdge.Tests.Secrets;

public sealed class SecretRedactorTests
{
    [Test]
    public void A_registered_secret_is_masked_everywhere_it_appears()
    {
        SecretRedactor.Register("hunter2-join-token");
        Assert.That(SecretRedactor.Redact("k3s server --token hunter2-join-token; echo hunter2-join-token"), Is.EqualTo("k3s server --token ***; echo ***"));
    }

    [Test]
    public void Extra_secrets_are_masked_without_being_registered()
    {
        Assert.That(SecretRedactor.Redact("ipmitool -P s3cr3t-pass", ["s3cr3t-pass"]), Is.EqualTo("ipmitool -P ***"));
        Assert.That(SecretRedactor.Redact("s3cr3t-pass"), Is.EqualTo("s3cr3t-pass"));
    }

    [Test]
    public void Resolving_an_environment_reference_registers_its_value()
    {
        Environment.SetEnvironmentVariable("CHAOSEDGE_TEST_BMC_PASSWORD", "pa55-from-env");
        try
        {
            var reference = new SecretReference(SecretSource.Environment, "CHAOSEDGE_TEST_BMC_PASSWORD");
            Assert.That(reference.Resolve(), Is.EqualTo("pa55-from-env"));
            Assert.That(reference.ToString(), Is.EqualTo("env:CHAOSEDGE_TEST_BMC_PASSWORD"));
            Assert.That(SecretRedactor.Redact("login admin/pa55-from-env"), Is.EqualTo("login admin/***"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CHAOSEDGE_TEST_BMC_PASSWORD", null);
        }
    }

    [Test]
    public void An_unset_environment_reference_is_a_clear_error()
    {
        var reference = new SecretReference(SecretSource.Environment, "CHAOSEDGE_TEST_UNSET_VARIABLE");
        Assert.That(() => reference.Resolve(), Throws.InstanceOf<ChaosEdge.Errors.ChaosEdgeException>().With.Message.EqualTo("Secret environment variable 'CHAOSEDGE_TEST_UNSET_VARIABLE' is not set."));
    }
}
