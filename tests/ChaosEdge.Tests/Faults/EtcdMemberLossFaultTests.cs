using ChaosEdge.Faults.EtcdMemberLoss;

namespace ChaosEdge.Tests.Faults;

public sealed class EtcdMemberLossFaultTests
{
    [Test]
    public void Endpoint_status_with_member_ids_beyond_two_to_the_63_reads_revisions_and_distinct_members()
    {
        // etcdctl endpoint status -w json after a rejoin; etcd's member ids are unsigned 64-bit.
        const string Json = """
            [{"Endpoint":"https://198.18.0.11:2379","Status":{"header":{"cluster_id":1,"member_id":17291616040395930001,"revision":41,"raft_term":4},"leader":17291616040395930003}},
             {"Endpoint":"https://198.18.0.12:2379","Status":{"header":{"cluster_id":1,"member_id":12982392181726512345,"revision":41,"raft_term":4},"leader":17291616040395930003}},
             {"Endpoint":"https://198.18.0.13:2379","Status":{"header":{"cluster_id":1,"member_id":17291616040395930003,"revision":40,"raft_term":4},"leader":17291616040395930003}}]
            """;

        var (revisions, members) = EtcdMemberLossFault.ReadEndpointStatus(Json);

        Assert.That(revisions, Is.EqualTo(new long?[] { 41, 41, 40 }));
        Assert.That(members, Is.EqualTo(3));
    }
}
