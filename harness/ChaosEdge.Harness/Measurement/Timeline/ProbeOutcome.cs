namespace ChaosEdge.Measurement.Timeline;

/// <summary>How one probe sample ended. Everything but <see cref="Success"/> counts as a failed sample.</summary>
public enum ProbeOutcome : byte
{
    /// <summary>The probe got what it asked for (a connection, HTTP 200, a DNS answer).</summary>
    Success = 0,

    /// <summary>The peer refused (TCP RST: nothing listens there).</summary>
    Refused = 1,

    /// <summary>No answer within the probe's timeout.</summary>
    Timeout = 2,

    /// <summary>The network said the host or network is unreachable (ICMP, or no route).</summary>
    Unreachable = 3,

    /// <summary>The TLS handshake failed (including a certificate that does not verify).</summary>
    Tls = 4,

    /// <summary>An HTTP answer other than the expected status; the status is in <see cref="Sample.Detail"/>.</summary>
    HttpStatus = 5,

    /// <summary>A DNS answer with an error rcode; the rcode is in <see cref="Sample.Detail"/>.</summary>
    DnsRcode = 6,

    /// <summary>Any other error (connection reset, protocol error).</summary>
    Error = 7,

    /// <summary>Answered, but with fewer than wanted: a workload's ready replicas below its desired count (the count is in <see cref="Sample.Detail"/>).</summary>
    TooFew = 8,
}
