using ChaosEdge.Errors;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;

namespace ChaosEdge.Tests.Measurement;

public sealed class SlaTests
{
    private const string Sla = """
        version: 1
        scenarios:
          default:
            vip-tcp: { availability: 99.9%, longestOutage: 50ms }
          keepalived-stop:
            vip-tcp: { takeover: 1500ms }
        """;

    [Test]
    public void The_shipped_lab_SLA_is_valid()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "sla", "lab-sla.yaml");

        var sla = SlaLoader.Load(path);

        Assert.That(sla.For("keepalived-stop").Select(t => (t.Probe, t.Metric)), Does.Contain(("vip-tcp", SlaMetric.Takeover)));
    }

    [Test]
    public void A_scenario_with_an_entry_gets_its_own_thresholds_and_one_without_gets_the_defaults()
    {
        var sla = SlaLoader.Parse(Sla, "sla.yaml");

        Assert.Multiple(() =>
        {
            Assert.That(sla.For("keepalived-stop").Select(t => $"{t.Probe} {t.Metric} {t.Limit} {t.Source}"), Is.EquivalentTo(new[] { "vip-tcp Takeover 1500 sla.yaml:6:26" }));
            Assert.That(sla.For("unlisted").Select(t => $"{t.Probe} {t.Metric} {t.Limit} {t.Source}"), Is.EquivalentTo(new[]
            {
                "vip-tcp Availability 0.999 sla.yaml:4:30",
                "vip-tcp LongestOutage 50 sla.yaml:4:52",
            }));
        });
    }

    [Test]
    public void An_entry_for_a_VIP_shape_replaces_the_scenarios_own_on_clusters_of_that_shape_only()
    {
        var sla = SlaLoader.Parse(Sla + "\n  keepalived-stop@kube-vip:\n    vip-tcp: { takeover: 10s }\n", "sla.yaml");

        Assert.Multiple(() =>
        {
            Assert.That(sla.For("keepalived-stop", "kube-vip").Single().Limit, Is.EqualTo(10_000));
            Assert.That(sla.For("keepalived-stop", "keepalived").Single().Limit, Is.EqualTo(1500));
            Assert.That(sla.For("keepalived-stop").Single().Limit, Is.EqualTo(1500));
            Assert.That(sla.For("unlisted", "kube-vip"), Has.Count.EqualTo(2), "no shape entry: the defaults");
        });
    }

    [Test]
    public void An_entry_for_an_unknown_shape_is_refused_with_its_place()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => SlaLoader.Parse(Sla + "\n  keepalived-stop@metallb:\n    vip-tcp: { takeover: 10s }\n", "sla.yaml"))!;

        Assert.That(error.Problems.Single().ToString(), Does.StartWith("sla.yaml:7:3 scenarios.keepalived-stop@metallb: 'metallb' is not a shape").And.Contain("keepalived or kube-vip"));
    }

    [Test]
    public void Every_mistake_is_reported_with_file_line_column_and_field()
    {
        var yaml = Sla.Replace("99.9%", "99.9", StringComparison.Ordinal).Replace("1500ms", "1.5 seconds", StringComparison.Ordinal).Replace("longestOutage", "longestOutag", StringComparison.Ordinal);

        var error = Assert.Throws<ConfigurationInvalidException>(() => SlaLoader.Parse(yaml, "sla.yaml"))!;

        Assert.That(error.Problems.Select(p => p.ToString()), Is.EqualTo(new[]
        {
            "sla.yaml:4:30 scenarios.default.vip-tcp.availability: '99.9' is not a percentage such as 99.9% (above 0, at most 100).",
            "sla.yaml:4:36 scenarios.default.vip-tcp.longestOutag: unknown key 'longestOutag' (did you mean 'longestOutage'?).",
            "sla.yaml:6:26 scenarios.keepalived-stop.vip-tcp.takeover: '1.5 seconds' is not a duration such as 5s, 250ms or 1m30s.",
        }));
    }

    [TestCase(600, 1, SlaOutcome.Pass, "+900.0 ms")]
    [TestCase(1600, 1, SlaOutcome.Fail, "-100.0 ms")]
    [TestCase(1495, 1, SlaOutcome.Inconclusive, "+5.0 ms")]
    public void Takeover_is_judged_with_its_margin_and_the_probes_resolution(double takeoverMs, int missed, SlaOutcome expected, string margin)
    {
        var sla = SlaLoader.Parse(Sla, "sla.yaml");

        var verdict = SlaJudge.Judge(sla, "keepalived-stop", [Figures(takeoverMs, missed)]).Single(v => v.Threshold.Metric == SlaMetric.Takeover);

        Assert.That((verdict.Outcome, verdict.Margin), Is.EqualTo((expected, margin)));
    }

    [TestCase(600, 80, SlaOutcome.Pass)]
    [TestCase(1450, 80, SlaOutcome.Inconclusive)]
    [TestCase(1600, 80, SlaOutcome.Fail)]
    [TestCase(1650, 200, SlaOutcome.Inconclusive)]
    public void Where_samples_were_missed_a_time_is_judged_within_the_largest_gap_between_samples(double takeoverMs, double gapMs, SlaOutcome expected)
    {
        var sla = SlaLoader.Parse(Sla, "sla.yaml");

        var verdict = SlaJudge.Judge(sla, "keepalived-stop", [Figures(takeoverMs, missed: 50) with { LargestGap = TimeSpan.FromMilliseconds(gapMs) }]).Single();

        Assert.That(verdict.Outcome, Is.EqualTo(expected), verdict.Reason);
        Assert.That(verdict.Reason, Does.Contain("missed 50 of 1050 samples"));
    }

    [TestCase("85%", SlaOutcome.Pass)]
    [TestCase("92%", SlaOutcome.Inconclusive)]
    [TestCase("99%", SlaOutcome.Fail)]
    public void Where_samples_were_missed_an_availability_is_judged_on_the_range_they_allow(string limit, SlaOutcome expected)
    {
        // 1000 samples, 60 failed, 50 missed: between 940/1050 (89.524 %) and 990/1050 (94.286 %).
        var sla = SlaLoader.Parse($"version: 1\nscenarios:\n  default:\n    vip-tcp: {{ availability: {limit} }}\n", "sla.yaml");

        var verdict = SlaJudge.Judge(sla, "default", [Figures(600, missed: 50)]).Single();

        Assert.That(verdict.Outcome, Is.EqualTo(expected), verdict.Reason);
        if (expected == SlaOutcome.Inconclusive)
        {
            Assert.That(verdict.Reason, Does.Contain("between 89.524 % and 94.286 %"));
        }
    }

    // The CI run of 2026-11-22: one failed sample, then a 148 ms stall of the harness: 149.5 ms measured against 250 ms.
    [TestCase(149.5, 10, 140, 148.3, SlaOutcome.Pass, TestName = "An outage whose own neighbours bound it below the limit passes, whatever gap the harness missed")]
    [TestCase(200, 100, 10, 100, SlaOutcome.Inconclusive, TestName = "An outage that may have begun in a gap before it is inconclusive when that could take it past the limit")]
    [TestCase(400, 10, 20, 20, SlaOutcome.Fail, TestName = "An outage whose failed samples alone span more than the limit fails")]
    public void Longest_outage_is_judged_against_its_own_bounds(double durationMs, double startedEarlierByMs, double endedEarlierByMs, double largestGapMs, SlaOutcome expected)
    {
        var sla = SlaLoader.Parse("version: 1\nscenarios:\n  default:\n    vip-tcp: { longestOutage: 250ms }\n", "sla.yaml");
        var outage = new OutageWindow(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(durationMs), 1, "Timeout")
        {
            Duration = TimeSpan.FromMilliseconds(durationMs),
            StartedEarlierBy = TimeSpan.FromMilliseconds(startedEarlierByMs),
            EndedEarlierBy = TimeSpan.FromMilliseconds(endedEarlierByMs),
        };

        var verdict = SlaJudge.Judge(sla, "default", [Figures(600, 10) with { Outages = [outage], LargestGap = TimeSpan.FromMilliseconds(largestGapMs) }]).Single();

        Assert.That(verdict.Outcome, Is.EqualTo(expected), verdict.Reason);
        if (expected == SlaOutcome.Inconclusive)
        {
            Assert.That(verdict.Reason, Does.Contain("between 190.0 ms and 300.0 ms"));
        }
    }

    [TestCase(1.7, 0, 15, "100ms", SlaOutcome.Pass)]
    [TestCase(10, 0, 20, "0ms", SlaOutcome.Fail)]
    [TestCase(90, 80, 160, "100ms", SlaOutcome.Inconclusive)]
    public void Duplicate_owner_time_is_judged_against_its_own_bounds(double measuredMs, double leastMs, double mostMs, string limit, SlaOutcome expected)
    {
        var sla = SlaLoader.Parse($"version: 1\nscenarios:\n  default:\n    vip-owner: {{ duplicateOwner: {limit} }}\n", "sla.yaml");
        var figures = Figures(600, 16) with
        {
            Probe = "vip-owner",
            LargestGap = TimeSpan.FromMilliseconds(159),
            DuplicateOwnerTime = TimeSpan.FromMilliseconds(measuredMs),
            DuplicateOwnerLeast = TimeSpan.FromMilliseconds(leastMs),
            DuplicateOwnerMost = TimeSpan.FromMilliseconds(mostMs),
        };

        var verdict = SlaJudge.Judge(sla, "default", [figures]).Single();

        Assert.That(verdict.Outcome, Is.EqualTo(expected), verdict.Reason);
    }

    [Test]
    public void A_probe_without_samples_is_inconclusive_and_an_outage_that_never_ends_fails()
    {
        var sla = SlaLoader.Parse(Sla, "sla.yaml");

        var none = SlaJudge.Judge(sla, "keepalived-stop", []);
        var stuck = SlaJudge.Judge(sla, "keepalived-stop", [Figures(600, 0) with { TakeoverTime = null, Recovered = false }]);

        Assert.That(none.Select(v => v.Outcome), Has.All.EqualTo(SlaOutcome.Inconclusive));
        Assert.That(stuck.Single(v => v.Threshold.Metric == SlaMetric.Takeover).Outcome, Is.EqualTo(SlaOutcome.Fail));
    }

    [Test]
    public void A_pattern_judges_every_probe_it_names_under_that_probes_own_name_and_names_no_node()
    {
        var sla = SlaLoader.Parse("version: 1\nscenarios:\n  dns:\n    \"dns-*\": { takeover: 50s }\n", "sla.yaml");
        var figures = new[]
        {
            Figures(31_000, 0) with { Probe = "dns-plc-a" },
            Figures(62_000, 0) with { Probe = "dns-plc-b" },
            Figures(9_000, 0) with { Probe = "vip-tcp" },
        };

        var verdicts = SlaJudge.Judge(sla, "dns", figures);
        var none = SlaJudge.Judge(sla, "dns", [figures[2]]);

        Assert.That(verdicts.Select(v => $"{v.Threshold.Probe} {v.Outcome}"), Is.EqualTo(new[] { "dns-plc-a Pass", "dns-plc-b Fail" }));
        Assert.That(none.Select(v => (v.Threshold.Probe, v.Outcome)), Is.EqualTo(new[] { ("dns-*", SlaOutcome.Inconclusive) }));
        Assert.That(none.Single().Reason, Does.Contain("No probe matches 'dns-*'"));
    }

    [Test]
    public void A_star_anywhere_but_at_the_end_of_a_probe_name_is_an_error()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => SlaLoader.Parse("version: 1\nscenarios:\n  dns:\n    \"dns-*-a\": { takeover: 50s }\n", "sla.yaml"))!;

        Assert.That(error.Problems.Single().ToString(), Does.StartWith("sla.yaml:4:5 scenarios.dns.dns-*-a: "));
    }

    private static ProbeFigures Figures(double takeoverMs, int missed) => new()
    {
        Probe = "vip-tcp",
        Resolution = TimeSpan.FromMilliseconds(10),
        WindowStart = TimeSpan.Zero,
        WindowEnd = TimeSpan.FromSeconds(10),
        Samples = 1000,
        Failures = 60,
        MissedSamples = missed,
        Outages = [new OutageWindow(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(takeoverMs), 60, "Timeout") { Duration = TimeSpan.FromMilliseconds(takeoverMs) }],
        FaultTookEffect = TimeSpan.FromSeconds(5),
        TakeoverTime = TimeSpan.FromMilliseconds(takeoverMs),
        Errors = new Dictionary<string, int> { ["Timeout"] = 60 },
    };
}
