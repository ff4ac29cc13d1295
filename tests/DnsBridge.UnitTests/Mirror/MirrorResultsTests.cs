using System.Text.Json;
using DnsBridge.Mirror;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Mirror;

public sealed class MirrorResultsTests
{
    private static CopyResult Copy(string group, MirrorOutcome outcome, int target = 200, params string[] fields) =>
        new(group, outcome, 200, outcome == MirrorOutcome.TargetError ? null : target, outcome != MirrorOutcome.StatusMismatch && outcome != MirrorOutcome.TargetError,
            fields, TimeSpan.FromMilliseconds(10), outcome == MirrorOutcome.TargetError ? null : TimeSpan.FromMilliseconds(20), null);

    [Fact]
    public void Counts_per_group_and_in_total()
    {
        var results = new MirrorResults(TimeProvider.System);
        results.Record(Copy("/a", MirrorOutcome.Match));
        results.Record(Copy("/a", MirrorOutcome.BodyMismatch, 200, "$.x"));
        results.Record(Copy("/b", MirrorOutcome.StatusMismatch, 500));
        results.Record(Copy("/b", MirrorOutcome.TargetError));
        results.Drop();

        var report = results.Snapshot("shop");

        Assert.Equal(4, report.Copies);
        Assert.Equal(1, report.Matches);
        Assert.Equal(2, report.StatusMatches);
        Assert.Equal(1, report.StatusMismatches);
        Assert.Equal(1, report.BodyMismatches);
        Assert.Equal(1, report.TargetErrors);
        Assert.Equal(1, report.Dropped);
        var a = report.Groups.Single(g => g.Group == "/a");
        Assert.Equal(["$.x"], a.DifferingFields.Select(f => f.Field));
        var b = report.Groups.Single(g => g.Group == "/b");
        Assert.Equal(500, Assert.Single(b.StatusMismatches).Target);
        Assert.Equal(1, b.TargetErrors);
        Assert.Equal(2.0, report.LatencyRatioP99!.Value, 1);
    }

    [Fact]
    public void Noise_learned_later_clears_copies_judged_before_it()
    {
        var results = new MirrorResults(TimeProvider.System);
        results.Record(Copy("/a", MirrorOutcome.BodyMismatch, 200, "$.nonce"));
        results.Record(Copy("/a", MirrorOutcome.BodyMismatch, 200, "$.nonce", "$.price"));

        results.LearnNoise("/a", ["$.nonce"]);
        var report = results.Snapshot("shop");

        var a = Assert.Single(report.Groups);
        Assert.Equal(1, a.BodyMatches);
        Assert.Equal(1, a.BodyMismatches);
        Assert.Equal(["$.price"], a.DifferingFields.Select(f => f.Field));
        Assert.Equal(["$.nonce"], a.NoiseFields);
        Assert.Equal(1, report.BodyMismatches);
        Assert.Equal(1, report.Matches);
    }

    [Fact]
    public void Groups_are_bounded_and_the_heaviest_stay()
    {
        var results = new MirrorResults(TimeProvider.System);
        for (var i = 0; i < 5; i++)
        {
            results.Record(Copy("/heavy", MirrorOutcome.Match));
        }

        for (var i = 0; i < MirrorResults.GroupCapacity * 3; i++)
        {
            results.Record(Copy($"/tail{i}", MirrorOutcome.Match));
        }

        var report = results.Snapshot("shop");

        Assert.Equal(MirrorResults.GroupCapacity, report.Groups.Count);
        Assert.Equal("/heavy", report.Groups[0].Group);
        Assert.True(report.GroupsEvicted > 0);
        Assert.Equal(5 + (MirrorResults.GroupCapacity * 3), report.Copies);
    }

    [Fact]
    public void The_gate_reads_totals_and_groups()
    {
        var results = new MirrorResults(TimeProvider.System);
        results.Record(Copy("/a", MirrorOutcome.Match));
        results.Record(Copy("/a", MirrorOutcome.StatusMismatch, 500));

        var readiness = results.Readiness();

        Assert.Equal(2, readiness.Mirrored);
        Assert.Equal(1, readiness.StatusMatches);
        var g = Assert.Single(readiness.PathGroups);
        Assert.Equal(0.5, g.StatusMatchRatio);
        Assert.NotNull(g.LatencyRatioP99);
    }

    [Fact]
    public void The_latency_sketch_is_within_its_bucket_error()
    {
        var sketch = new LatencySketch();
        for (var i = 1; i <= 1000; i++)
        {
            sketch.Record(TimeSpan.FromMilliseconds(i));
        }

        Assert.InRange(sketch.Quantile(0.5)!.Value, 0.5 * 0.92, 0.5 * 1.08);
        Assert.InRange(sketch.Quantile(0.99)!.Value, 0.99 * 0.92, 0.99 * 1.08);
        Assert.Null(new LatencySketch().Quantile(0.5));
    }

    [Fact]
    public void Results_of_two_replicas_added_up_read_as_one_process_that_counted_both()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        CopyResult[] first = [Copy("/a", MirrorOutcome.Match), Copy("/a", MirrorOutcome.BodyMismatch, 200, "$.nonce"), Copy("/b", MirrorOutcome.StatusMismatch, 500)];
        CopyResult[] second = [Copy("/a", MirrorOutcome.BodyMismatch, 200, "$.nonce", "$.price"), Copy("/b", MirrorOutcome.TargetError), Copy("/c", MirrorOutcome.Match)];
        var one = new MirrorResults(time);
        var r1 = new MirrorResults(time);
        var r2 = new MirrorResults(time);
        foreach (var copy in first)
        {
            one.Record(copy);
            r1.Record(copy);
        }

        foreach (var copy in second)
        {
            one.Record(copy);
            r2.Record(copy);
        }

        // Noise learned on the second replica clears the first replica's copy too, as it would in one process.
        one.LearnNoise("/a", ["$.nonce"]);
        r2.LearnNoise("/a", ["$.nonce"]);
        one.Drop();
        r1.Drop();

        var combined = new MirrorResults(time);
        combined.Add(MirrorResultsState.FromJson(r1.Export().ToJson())!);
        combined.Add(MirrorResultsState.FromJson(r2.Export().ToJson())!);

        Assert.Equal(JsonSerializer.Serialize(one.Snapshot("shop")), JsonSerializer.Serialize(combined.Snapshot("shop")));
        Assert.Equal(JsonSerializer.Serialize(one.Readiness()), JsonSerializer.Serialize(combined.Readiness()));
        var report = combined.Snapshot("shop");
        Assert.Equal(6, report.Copies);
        Assert.Equal(1, report.BodyMismatches);
        Assert.Equal(1, report.Dropped);
    }

    [Fact]
    public void Adding_a_stored_state_keeps_the_group_bound()
    {
        var stored = new MirrorResults(TimeProvider.System);
        var live = new MirrorResults(TimeProvider.System);
        for (var i = 0; i < MirrorResults.GroupCapacity; i++)
        {
            stored.Record(Copy($"/old{i}", MirrorOutcome.Match));
            live.Record(Copy($"/new{i}", MirrorOutcome.Match));
            live.Record(Copy($"/new{i}", MirrorOutcome.Match));
        }

        live.Add(stored.Export());
        var report = live.Snapshot("shop");

        Assert.Equal(MirrorResults.GroupCapacity, report.Groups.Count);
        Assert.Equal(3 * MirrorResults.GroupCapacity, report.Copies);
        Assert.All(report.Groups, g => Assert.StartsWith("/new", g.Group, StringComparison.Ordinal));
    }

    [Fact]
    public void A_damaged_stored_state_is_skipped_not_fatal()
    {
        Assert.Null(MirrorResultsState.FromJson("{\"copies\": \"many\""));
        Assert.Null(MirrorResultsState.FromJson("{\"copies\": 3}"));
        Assert.Null(MirrorResultsState.FromJson("{\"copies\":1,\"outcomes\":{},\"source\":{},\"target\":{},\"groups\":[{\"name\":\"/a\",\"copies\":1}]}"));
        Assert.NotNull(MirrorResultsState.FromJson(new MirrorResults(TimeProvider.System).Export().ToJson()));
    }
}
