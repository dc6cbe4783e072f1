using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Reports;

/// <summary>
/// The customer acceptance report: one self-contained HTML page (no external asset; printable) made from a nightly
/// summary (<c>chaosedge.nightly/1</c>) and its scenarios' run records — cover, executive summary with the scenario ×
/// metric matrix, one section per scenario with its timeline chart and figures, methodology and a sign-off block. It
/// is made from the files alone, so a run's report can be made again, and checked, from its records.
/// </summary>
public static class AcceptanceReport
{
    private const string Style = """
        <style>
        body{font:11pt/1.45 sans-serif;color:#000;margin:24px auto;max-width:960px}
        h1{font-size:22pt;margin:0 0 4px} h2{font-size:15pt;border-bottom:2px solid #000;margin-top:28px} h3{font-size:12.5pt;margin-bottom:4px}
        table{border-collapse:collapse;width:100%;margin:8px 0} th,td{border:1px solid #777;padding:3px 6px;text-align:left;font-size:9.5pt;vertical-align:top}
        th{background:#e5e5e5} .num{text-align:right;font-variant-numeric:tabular-nums}
        .verdict{font-weight:bold} .Pass{color:#14532d} .Fail{color:#7f1d1d;text-decoration:underline} .Inconclusive{color:#78350f;font-style:italic}
        .overall{font-size:16pt;font-weight:bold;border:3px solid #000;padding:8px 12px;display:inline-block}
        .cover td{border:none;padding:2px 12px 2px 0;font-size:11pt} .cover{width:auto}
        section.scenario{page-break-inside:avoid;break-inside:avoid} svg.timeline,svg.latency{width:100%;height:auto}
        .signoff td{height:42px} .note{font-size:9.5pt;color:#333} pre.detail{white-space:pre-wrap;font-size:8.5pt;margin:0}
        @media print{body{margin:0;max-width:none} h2{page-break-after:avoid} .cover-page{page-break-after:always}}
        </style>
        """;

    public static string Render(NightlySummary summary, Func<string, JsonObject?> record)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(record);
        var lab = summary.Lab ?? new LabSummary(string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, []);
        var scenarios = summary.Scenarios;
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>ChaosEdge acceptance report — {{TimelineChart.Escape(lab.Cluster)}} — {{TimelineChart.Escape(summary.RunId)}}</title>
            {{Style}}</head><body>
            <div class="cover-page">
            <h1>Acceptance report: HA failover of {{TimelineChart.Escape(lab.Cluster)}}</h1>
            <p>Measured by ChaosEdge {{TimelineChart.Escape(summary.Harness)}}</p>
            <table class="cover">
            <tr><td>Customer</td><td id="customer">{{TimelineChart.Escape(summary.Customer)}}</td></tr>
            <tr><td>Cluster</td><td>{{TimelineChart.Escape(lab.Cluster)}} ({{TimelineChart.Escape(lab.Description)}})</td></tr>
            <tr><td>Control-plane VIP</td><td>{{TimelineChart.Escape(lab.Vip)}}</td></tr>
            <tr><td>Nodes and hardware</td><td>{{string.Join("<br>", lab.Nodes.Select(n => TimelineChart.Escape($"{n.Name} {n.Address} {n.Role}{(n.Bmc is { Length: > 0 } b ? ", BMC " + b : string.Empty)}{(n.Hardware is { Length: > 0 } h ? " — " + h : string.Empty)}")))}}</td></tr>
            <tr><td>Versions</td><td>{{TimelineChart.Escape(lab.Versions)}}</td></tr>
            <tr><td>Date</td><td>{{TimelineChart.Escape(summary.StartedAt)}} to {{TimelineChart.Escape(summary.FinishedAt ?? string.Empty)}}</td></tr>
            <tr><td>Run id</td><td id="run-id">{{TimelineChart.Escape(summary.RunId)}}</td></tr>
            <tr><td>SLA file</td><td>{{TimelineChart.Escape(lab.Sla)}}</td></tr>
            </table>
            </div>
            <h2>Executive summary</h2>
            <p class="overall" id="overall">Overall: {{TimelineChart.Escape(Overall(summary))}}</p>
            <p>{{TimelineChart.Escape(summary.Reason ?? string.Empty)}}</p>
            <table id="matrix"><tr><th>Scenario</th><th>Probe</th><th>Metric</th><th class="num">Measured</th><th class="num">Threshold</th><th>Verdict</th><th class="num">Margin</th></tr>
            """);
        foreach (var scenario in scenarios)
        {
            var name = scenario.Name;
            // Several trials: the matrix shows the verdicts over the trials (the distribution's bound), not one trial's.
            var verdicts = Trials(scenario, record) is { } trials
                ? [.. (trials["metrics"] as JsonArray ?? []).OfType<JsonObject>().Select(m => new JsonObject
                {
                    ["probe"] = Text(m, "probe"), ["metric"] = Text(m, "metric"), ["measured"] = Text(m, "measured"), ["limit"] = Text(m, "limit"),
                    ["outcome"] = Text(m, "outcome"), ["margin"] = Text(m, "margin"),
                })]
                : Verdicts(scenario, record);
            if (verdicts.Count == 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"""<tr><td>{TimelineChart.Escape(name)}</td><td colspan="4">{TimelineChart.Escape(scenario.Reason ?? string.Empty)}</td><td class="verdict">{TimelineChart.Escape(StatusText(scenario.Status))}</td><td></td></tr>""");
            }

            foreach (var v in verdicts)
            {
                var outcome = Text(v, "outcome");
                html.Append(CultureInfo.InvariantCulture, $"""<tr><td>{TimelineChart.Escape(name)}</td><td>{TimelineChart.Escape(Text(v, "probe"))}</td><td>{TimelineChart.Escape(Text(v, "metric"))}</td><td class="num">{TimelineChart.Escape(Text(v, "measured"))}</td><td class="num">{TimelineChart.Escape(Text(v, "limit"))}</td><td class="verdict {TimelineChart.Escape(outcome)}">{TimelineChart.Escape(outcome.ToUpperInvariant())}</td><td class="num">{TimelineChart.Escape(Text(v, "margin"))}</td></tr>""");
            }
        }

        html.Append("</table>");
        foreach (var scenario in scenarios)
        {
            var name = scenario.Name;
            html.Append(CultureInfo.InvariantCulture, $"""<section class="scenario" id="scenario-{TimelineChart.Escape(name)}"><h2>{TimelineChart.Escape(name)}: {TimelineChart.Escape(scenario.Title)}</h2>""");
            html.Append(CultureInfo.InvariantCulture, $"""<p>Suite {TimelineChart.Escape(scenario.Suite)}.{(scenario.Fault is { Length: > 0 } fault ? " Fault: " + TimelineChart.Escape(fault) + "." : string.Empty)} Result: <span class="verdict">{TimelineChart.Escape(StatusText(scenario.Status).ToUpperInvariant())}</span>{(scenario.Reason is { Length: > 0 } reason ? " — " + TimelineChart.Escape(reason) : string.Empty)}</p>""");
            if (Record(scenario, record) is not { } run)
            {
                html.Append("<p>No run record: the scenario did not run.</p></section>");
                continue;
            }

            if (Trials(scenario, record) is { } document)
            {
                // The distribution over the trials first (what the verdicts rest on), then the first trial's timeline and figures.
                html.Append(TrialsSection.Render(document));
                html.Append(CultureInfo.InvariantCulture, $"""<h3>Trial 1 of {(document["trials"] as JsonValue)?.ToString() ?? "?"}: timeline and figures</h3>""");
            }

            html.Append(TimelineChart.Render(run));
            html.Append(LatencyChart.Render(run));
            html.Append("""<table class="figures"><tr><th>Probe</th><th class="num">Samples</th><th class="num">Failed</th><th class="num">Missed</th><th class="num">Availability</th><th class="num">Longest outage</th><th class="num">Takeover</th><th class="num">p50</th><th class="num">p99</th><th class="num">Two owners</th><th class="num">Known to within</th></tr>""");
            var clockErrors = (run["probes"] as JsonArray ?? []).OfType<JsonObject>().Where(p => (double?)p["clockErrorMs"] is not null)
                .ToDictionary(p => Text(p, "name"), p => (double)p["clockErrorMs"]!, StringComparer.Ordinal);
            foreach (var f in (run["figures"] as JsonArray ?? []).OfType<JsonObject>())
            {
                html.Append(CultureInfo.InvariantCulture, $"""<tr><td>{TimelineChart.Escape(Text(f, "probe"))}</td><td class="num">{f["samples"]}</td><td class="num">{f["failures"]}</td><td class="num">{f["missedSamples"]}</td><td class="num">{((double?)f["availability"] is { } a ? (a * 100).ToString("0.000", CultureInfo.InvariantCulture) + " %" : "-")}</td><td class="num">{TimelineChart.Seconds((double?)f["longestOutageMs"] ?? 0)}</td><td class="num">{((double?)f["takeoverMs"] is { } t ? TimelineChart.Seconds(t) : "-")}</td><td class="num">{Ms(f["latencyMs"]?["p50"])}</td><td class="num">{Ms(f["latencyMs"]?["p99"])}</td><td class="num">{((double?)f["duplicateOwnerMs"] is { } d ? TimelineChart.Seconds(d) : "-")}</td><td class="num">{Ms(Math.Max((double?)f["resolutionMs"] ?? 0, (double?)f["largestGapMs"] ?? 0))}{(clockErrors.TryGetValue(Text(f, "probe"), out var clock) ? $", clock ±{clock.ToString("0.0", CultureInfo.InvariantCulture)} ms" : string.Empty)}</td></tr>""");
            }

            html.Append("</table>");
            if (Text(run["context"] as JsonObject ?? [], "notes") is { Length: > 0 } notes)
            {
                html.Append(CultureInfo.InvariantCulture, $"""<p class="note">{TimelineChart.Escape(notes)}</p>""");
            }

            foreach (var v in (run["verdicts"] as JsonArray ?? []).OfType<JsonObject>().Where(v => Text(v, "reason").Length > 0))
            {
                html.Append(CultureInfo.InvariantCulture, $"""<p class="note">{TimelineChart.Escape(Text(v, "probe"))} {TimelineChart.Escape(Text(v, "metric"))}: {TimelineChart.Escape(Text(v, "reason"))}</p>""");
            }

            html.Append("</section>");
        }

        html.Append("""
            <h2>Methodology</h2>
            <p>Every probe samples at a fixed cadence on one monotonic clock and never waits for its previous sample: a new TCP connection to the VIP every 10 ms (<i>vip-tcp</i>), which node carries the VIP from the nodes' kernel address events (<i>vip-owner</i>, 10 ms), <i>/readyz</i> through the VIP every 100 ms on new and on one long-lived connection, the LoadBalancer service VIP every 10 ms, the cluster DNS service from inside every node every 100 ms, and etcd's members and leader every 500 ms. Node-side samples are mapped onto the harness clock with an offset estimated from round trips; the error bound is recorded with them.</p>
            <p><b>Takeover</b> is the time from the instant the fault was verified to be in effect to the first success that is followed by a sustained run of successes. <b>Longest outage</b> is the longest run of failed samples. A figure is known to within the probe's cadence, or to within the largest gap between its samples where the harness missed some (the "known to within" column; node-side probes add the error bound of their clock mapping). An outage, and time with two VIP owners, is bounded more closely by its own neighbouring samples: it began after the success before it and lasted at least from its first to its last failed sample. A verdict is <i>inconclusive</i> when the limit lies between the least and the most a figure can be, and an availability is inconclusive when its limit lies between the values the missed samples allow.</p>
            <p>Each fault is written to a journal before it is injected and restored under guarantee; the cluster must pass its health gate (nodes Ready, etcd members healthy, DNS answering on every node, service VIP answering) after every scenario before the next one starts.</p>
            <h2>Sign-off</h2>
            <table class="signoff"><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th></tr><tr><td>Customer</td><td></td><td></td><td></td></tr><tr><td>Supplier</td><td></td><td></td><td></td></tr></table>
            """);

        // The technical detail of what could not be done, kept out of the summary (it is for engineers, not the reader
        // who signs) but not lost.
        var errored = scenarios.Where(s => s.Detail is { Length: > 0 }).ToList();
        if (errored.Count > 0)
        {
            html.Append("""<h2 id="appendix">Appendix: technical details</h2><p class="note">What the harness reported for each scenario it could not complete, for the engineers who look into it (also in <i>nightly.log</i>).</p><table id="details"><tr><th>Scenario</th><th>Detail</th></tr>""");
            foreach (var scenario in errored)
            {
                html.Append(CultureInfo.InvariantCulture, $"""<tr><td>{TimelineChart.Escape(scenario.Name)}</td><td><pre class="detail">{TimelineChart.Escape(scenario.Detail ?? string.Empty)}</pre></td></tr>""");
            }

            html.Append("</table>");
        }

        html.Append("</body></html>");

        // Nothing secret reaches a report, whatever a record carries.
        return SecretRedactor.Redact(html.ToString());
    }

    private static string Overall(NightlySummary summary) => summary.Outcome switch
    {
        RunOutcome.Pass => "PASS — every SLA verdict passed",
        RunOutcome.Fail => "FAIL — at least one SLA verdict did not pass",
        _ => "INCOMPLETE — the run could not be completed",
    };

    /// <summary>A status as the summary file writes it (<c>not-run</c>).</summary>
    public static string StatusText(ScenarioStatus status) => JsonNamingPolicy.KebabCaseLower.ConvertName(status.ToString());

    private static JsonObject? Record(ScenarioEntry scenario, Func<string, JsonObject?> record) =>
        scenario.Record is { Length: > 0 } path ? record(path) : null;

    private static JsonObject? Trials(ScenarioEntry scenario, Func<string, JsonObject?> record) =>
        scenario.Trials is { Length: > 0 } path ? record(path) : null;

    private static List<JsonObject> Verdicts(ScenarioEntry scenario, Func<string, JsonObject?> record) =>
        (Record(scenario, record)?["verdicts"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    private static string Ms(JsonNode? value) => (double?)value is { } ms ? Ms(ms) : "-";

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Text(JsonObject node, string key) => node[key]?.ToString() ?? string.Empty;
}
