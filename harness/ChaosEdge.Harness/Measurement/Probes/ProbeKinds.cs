namespace ChaosEdge.Measurement;

/// <summary>The kinds of probe, as written on a timeline and in the run record.</summary>
public static class ProbeKinds
{
    public const string TcpConnect = "tcp-connect";
    public const string Icmp = "icmp";
    public const string Http = "http";
    public const string Dns = "dns";
    public const string VipOwner = "vip-owner";
    public const string Etcd = "etcd";
    public const string VolumeWrite = "volume-write";
    public const string WorkloadReady = "workload-ready";
    public const string RequestResponse = "request-response";
}
