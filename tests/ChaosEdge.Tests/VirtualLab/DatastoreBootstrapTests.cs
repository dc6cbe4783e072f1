using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.Tls;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>The cluster's CAs in an external datastore are readable with the cluster's token only.</summary>
public sealed class DatastoreBootstrapTests
{
    private static readonly JsonObject Bootstrap = new()
    {
        ["serverCa"] = "server CA", ["serverCaKey"] = "server CA key", ["etcdCa"] = "etcd CA", ["etcdCaKey"] = "etcd CA key",
        ["clientCa"] = "client CA", ["clientCaKey"] = "client CA key", ["adminToken"] = "admin",
    };

    [Test]
    public void The_token_s_password_decrypts_what_it_encrypted_and_the_stored_bytes_do_not_show_it()
    {
        var stored = DatastoreBootstrap.Encrypt(Bootstrap, "the-cluster-password");
        var credentials = DatastoreBootstrap.Decrypt(stored, "the-cluster-password");

        Assert.Multiple(() =>
        {
            Assert.That(credentials.ServerCaKeyPem, Is.EqualTo("server CA key"));
            Assert.That(credentials.AdminToken, Is.EqualTo("admin"));
            Assert.That(System.Text.Encoding.UTF8.GetString(stored), Does.Not.Contain("server CA key"));
            Assert.That(DatastoreBootstrap.Encrypt(Bootstrap, "the-cluster-password"), Is.Not.EqualTo(stored), "a salt and a nonce of its own each time");
        });
    }

    [Test]
    public void Another_token_is_refused_with_the_reason()
    {
        var stored = DatastoreBootstrap.Encrypt(Bootstrap, "the-cluster-password");

        var error = Assert.Throws<InvalidOperationException>(() => DatastoreBootstrap.Decrypt(stored, "another-password"))!;

        Assert.That(error.Message, Does.Contain("cannot be decrypted with this token"));
    }
}
