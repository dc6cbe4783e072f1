using System.Net;
using System.Net.Sockets;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Tests.Measurement;

/// <summary>Application probes against real listeners on 127.0.0.1: every way a sample ends is named right, and samples overlap.</summary>
public sealed class ApplicationProbeTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    [Test]
    public async Task An_http_probe_gets_its_path_on_a_new_connection_and_the_expected_status_is_a_success()
    {
        string? request = null;
        await using var server = new LoopbackServer(async (s, t) =>
        {
            request ??= await LoopbackServer.ReadHeadAsync(s, t);
            await s.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 204 No Content\r\n\r\n"), SocketFlags.None, t);
        });
        var spec = new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http) { Path = "/healthz", ExpectStatus = 204 };
        await using var probe = ApplicationProbes.Create(spec, server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.Multiple(() =>
        {
            Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Success));
            Assert.That(sample.Detail, Is.EqualTo(204));
            Assert.That(request, Does.StartWith("GET /healthz HTTP/1.1\r\n").And.Contain($"Host: {server.Endpoint}\r\n"));
            Assert.That(probe.Series.Kind, Is.EqualTo(ProbeKinds.Http));
            Assert.That(probe.Series.Target, Is.EqualTo($"http://{server.Endpoint}/healthz expect 204"));
        });
    }

    [Test]
    public async Task An_http_probe_answered_with_another_status_records_it()
    {
        await using var server = HttpServer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        await using var probe = ApplicationProbes.Create(new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http), server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.That((sample.Outcome, sample.Detail), Is.EqualTo((ProbeOutcome.HttpStatus, (ushort)503)));
    }

    [Test]
    public async Task An_http_probe_answered_with_something_other_than_http_is_an_error()
    {
        await using var server = HttpServer("SSH-2.0-OpenSSH_9.6\r\n");
        await using var probe = ApplicationProbes.Create(new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http), server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Error));
    }

    [Test]
    public async Task A_request_response_probe_succeeds_when_the_reply_contains_the_expected_text_even_split_across_packets()
    {
        await using var server = new LoopbackServer(async (s, t) =>
        {
            await LoopbackServer.ReadUntilAsync(s, "READ 40001\r\n", t);
            await s.SendAsync(Encoding.UTF8.GetBytes("OK 40001 VAL"), SocketFlags.None, t);
            await Task.Delay(20, t);
            await s.SendAsync(Encoding.UTF8.GetBytes("UE=17\r\n"), SocketFlags.None, t);
            await Task.Delay(Timeout.Infinite, t);
        });
        var spec = new ApplicationProbeSpec("plc-poll", ApplicationProbeKind.RequestResponse) { Send = "READ 40001\r\n", Expect = "VALUE=" };
        await using var probe = ApplicationProbes.Create(spec, server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.Multiple(() =>
        {
            Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Success), "the server keeps the connection open: the probe stops at the text");
            Assert.That(probe.Series.Kind, Is.EqualTo(ProbeKinds.RequestResponse));
            Assert.That(probe.Series.Target, Is.EqualTo($"tcp://{server.Endpoint} send \"READ 40001\\r\\n\" expect \"VALUE=\""));
        });
    }

    [Test]
    public async Task A_request_response_probe_whose_peer_closes_with_another_reply_is_an_error()
    {
        await using var server = new LoopbackServer(async (s, t) =>
        {
            await LoopbackServer.ReadUntilAsync(s, "\n", t);
            await s.SendAsync(Encoding.UTF8.GetBytes("ERR busy\r\n"), SocketFlags.None, t);
            s.Shutdown(SocketShutdown.Send);
        });
        await using var probe = ApplicationProbes.Create(PlcPoll(), server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Error));
    }

    [Test]
    public async Task A_request_response_probe_whose_peer_closes_without_a_reply_is_an_error()
    {
        await using var server = new LoopbackServer((s, _) =>
        {
            s.Shutdown(SocketShutdown.Send);
            return Task.CompletedTask;
        });
        await using var probe = ApplicationProbes.Create(PlcPoll(), server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Error));
    }

    [Test]
    public async Task A_request_response_probe_whose_reply_fills_the_buffer_without_the_text_ends_as_an_error_before_its_timeout()
    {
        await using var server = new LoopbackServer(async (s, t) =>
        {
            var noise = Encoding.ASCII.GetBytes(new string('x', 1024));
            while (!t.IsCancellationRequested)
            {
                await s.SendAsync(noise, SocketFlags.None, t);
            }
        });
        await using var probe = ApplicationProbes.Create(PlcPoll() with { Timeout = TimeSpan.FromSeconds(30) }, server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Error));
    }

    [TestCase(ApplicationProbeKind.Http)]
    [TestCase(ApplicationProbeKind.RequestResponse)]
    public async Task A_sample_resets_its_connection_when_it_ends(ApplicationProbeKind kind)
    {
        var end = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new LoopbackServer(async (s, t) =>
        {
            await LoopbackServer.ReadUntilAsync(s, "\n", t);
            await s.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\n\r\nVALUE=1\r\n"), SocketFlags.None, t);
            try
            {
                end.TrySetResult(await s.ReceiveAsync(new byte[64], SocketFlags.None, t) == 0 ? "closed" : "more data");
            }
            catch (SocketException e)
            {
                end.TrySetResult(e.SocketErrorCode.ToString());
            }
        });
        await using var probe = ApplicationProbes.Create(PlcPoll() with { Kind = kind }, server.Endpoint);

        var sample = await SampleAsync(probe);
        var seen = await end.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Success));
            Assert.That(seen, Is.EqualTo(nameof(SocketError.ConnectionReset)), "the server saw a reset, not a FIN");
        });
    }

    [TestCase(ApplicationProbeKind.Tcp)]
    [TestCase(ApplicationProbeKind.Http)]
    [TestCase(ApplicationProbeKind.RequestResponse)]
    public async Task A_probe_of_a_port_nobody_listens_on_is_refused(ApplicationProbeKind kind)
    {
        IPEndPoint closed;
        await using (var server = LoopbackServer.Silent())
        {
            closed = server.Endpoint;
        }

        await using var probe = ApplicationProbes.Create(PlcPoll() with { Kind = kind, Timeout = TimeSpan.FromSeconds(2) }, closed);

        var sample = await SampleAsync(probe);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Refused));
    }

    [TestCase(ApplicationProbeKind.Http)]
    [TestCase(ApplicationProbeKind.RequestResponse)]
    public async Task A_probe_of_a_listener_that_never_answers_times_out_within_its_timeout(ApplicationProbeKind kind)
    {
        await using var server = LoopbackServer.Silent();
        var spec = PlcPoll() with { Kind = kind, Timeout = TimeSpan.FromMilliseconds(300) };
        await using var probe = ApplicationProbes.Create(spec, server.Endpoint);

        var started = TimeProvider.System.GetTimestamp();
        var sample = await SampleAsync(probe);
        var took = TimeProvider.System.GetElapsedTime(started);

        Assert.Multiple(() =>
        {
            Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Timeout));
            Assert.That(TimeSpan.FromTicks(sample.LatencyMicroseconds * 10L), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)));
            Assert.That(took, Is.LessThan(spec.Timeout + Slack));
        });
    }

    [TestCase(ApplicationProbeKind.Http)]
    [TestCase(ApplicationProbeKind.RequestResponse)]
    public async Task A_slow_server_does_not_delay_the_next_sample(ApplicationProbeKind kind)
    {
        await using var server = new LoopbackServer(async (s, t) =>
        {
            await LoopbackServer.ReadUntilAsync(s, "\n", t);
            await Task.Delay(400, t);
            await s.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\n\r\nVALUE=1\r\n"), SocketFlags.None, t);
        });
        var spec = PlcPoll() with { Kind = kind, Interval = TimeSpan.FromMilliseconds(25), Timeout = TimeSpan.FromSeconds(5) };
        await using var probe = ApplicationProbes.Create(spec, server.Endpoint);

        await new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(1.5)).WaitAsync(TimeSpan.FromSeconds(60));

        var samples = probe.Series.Samples.ToSortedArray();
        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.Length.GreaterThanOrEqualTo(10), "one sample per 400 ms answer would give 4");
            Assert.That(samples.Select(s => s.Outcome), Is.All.EqualTo(ProbeOutcome.Success));
            Assert.That(server.MostAtOnce, Is.GreaterThanOrEqualTo(3), "samples waited for the slow server side by side");
        });
    }

    [Test]
    public async Task A_tcp_probe_connects_at_the_spec_cadence_and_timeout()
    {
        await using var server = LoopbackServer.Silent();
        var spec = new ApplicationProbeSpec("edge-tcp", ApplicationProbeKind.Tcp) { Interval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromMilliseconds(200) };
        await using var probe = ApplicationProbes.Create(spec, server.Endpoint);

        var sample = await SampleAsync(probe);

        Assert.Multiple(() =>
        {
            Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Success));
            Assert.That(probe, Is.TypeOf<TcpConnectProbe>());
            Assert.That(probe.Series.Kind, Is.EqualTo(ProbeKinds.TcpConnect));
            Assert.That((probe.Series.Interval, probe.Series.Timeout), Is.EqualTo((spec.Interval, spec.Timeout)));
        });
    }

    [Test]
    public async Task A_fixed_address_resolves_to_itself_and_its_port()
    {
        using var client = UnusedClient();
        var spec = new ApplicationProbeSpec("edge-tcp", ApplicationProbeKind.Tcp) { Address = IPAddress.Loopback, Port = 5020 };

        var endpoint = await ApplicationProbes.ResolveAsync(spec, client);

        Assert.That(endpoint, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 5020)));
    }

    [Test]
    public async Task A_fixed_address_without_a_port_is_refused_naming_the_probe_and_where_it_was_declared()
    {
        using var client = UnusedClient();
        var spec = new ApplicationProbeSpec("edge-tcp", ApplicationProbeKind.Tcp) { Address = IPAddress.Loopback, Source = "campaign.yaml:12:5" };

        var error = (await Assert.ThrowsAsync<ChaosEdgeException>(() => ApplicationProbes.ResolveAsync(spec, client)))!;

        Assert.That(error.Message, Does.Contain("'edge-tcp'").And.Contain("campaign.yaml:12:5").And.Contain("no port"));
    }

    [Test]
    public async Task A_spec_naming_neither_a_service_nor_an_address_is_refused()
    {
        using var client = UnusedClient();
        var spec = new ApplicationProbeSpec("edge-tcp", ApplicationProbeKind.Tcp) { Source = "campaign.yaml:3:1" };

        var error = (await Assert.ThrowsAsync<ChaosEdgeException>(() => ApplicationProbes.ResolveAsync(spec, client)))!;

        Assert.That(error.Message, Does.Contain("'edge-tcp'").And.Contain("neither"));
    }

    [Test]
    public async Task A_service_resolves_to_its_load_balancer_address_with_its_first_port_or_the_spec_port()
    {
        await using var api = new FakeApiServer(new Dictionary<string, string>
        {
            ["/api/v1/namespaces/plant/services/edge-app"] = Service("edge-app", """{"ingress":[{"ip":"127.0.0.1"}]}"""),
        });
        using var client = api.Client();
        var spec = new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http) { Service = new ServiceReference("plant", "edge-app") };

        var first = await ApplicationProbes.ResolveAsync(spec, client);
        var given = await ApplicationProbes.ResolveAsync(spec with { Port = 8443 }, client);

        Assert.That((first, given), Is.EqualTo((new IPEndPoint(IPAddress.Loopback, 8080), new IPEndPoint(IPAddress.Loopback, 8443))));
    }

    [Test]
    public async Task A_service_that_does_not_exist_or_has_no_load_balancer_address_yet_is_an_error_naming_the_probe_and_the_service()
    {
        await using var api = new FakeApiServer(new Dictionary<string, string>
        {
            ["/api/v1/namespaces/plant/services/pending"] = Service("pending", "{}"),
        });
        using var client = api.Client();
        var spec = new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http) { Service = new ServiceReference("plant", "missing"), Source = "campaign.yaml:7:5" };

        var missing = (await Assert.ThrowsAsync<ChaosEdgeException>(() => ApplicationProbes.ResolveAsync(spec, client)))!;
        var pending = (await Assert.ThrowsAsync<ChaosEdgeException>(() => ApplicationProbes.ResolveAsync(spec with { Service = new ServiceReference("plant", "pending") }, client)))!;

        Assert.Multiple(() =>
        {
            Assert.That(missing.Message, Does.Contain("'edge-http' (campaign.yaml:7:5)").And.Contain("'plant/missing'").And.Contain("does not exist"));
            Assert.That(pending.Message, Does.Contain("'edge-http' (campaign.yaml:7:5)").And.Contain("'plant/pending'").And.Contain("no load-balancer address yet"));
        });
    }

    private static string Service(string name, string status) =>
        $$$"""{"kind":"Service","apiVersion":"v1","metadata":{"name":"{{{name}}}","namespace":"plant"},"spec":{"type":"LoadBalancer","ports":[{"port":8080,"protocol":"TCP"},{"port":9090,"protocol":"TCP"}]},"status":{"loadBalancer":{{{status}}}}}""";

    private static ApplicationProbeSpec PlcPoll() =>
        new("plc-poll", ApplicationProbeKind.RequestResponse) { Send = "READ 40001\r\n", Expect = "VALUE=", Timeout = TimeSpan.FromSeconds(2) };

    private static LoopbackServer HttpServer(string answer) => new(async (s, t) =>
    {
        await LoopbackServer.ReadUntilAsync(s, "\r\n\r\n", t);
        await s.SendAsync(Encoding.ASCII.GetBytes(answer), SocketFlags.None, t);
        s.Shutdown(SocketShutdown.Send);
        await LoopbackServer.ReadUntilAsync(s, "never sent", t);
    });

    private static ValueTask<Sample> SampleAsync(IProbe probe) =>
        probe.SampleAsync(TimeProvider.System.GetTimestamp(), TimeProvider.System, CancellationToken.None);

    /// <summary>A client for resolutions that must not call the API (its server is a closed port on 127.0.0.1).</summary>
    private static KubeClient UnusedClient() => new(new KubeConfig(new Uri("https://127.0.0.1:9/"), string.Empty, string.Empty));
}
