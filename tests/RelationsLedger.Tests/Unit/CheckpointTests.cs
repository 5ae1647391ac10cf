using System.Text.Json.Nodes;
using CsCheck;
using RelationsLedger.Relations;

namespace RelationsLedger.Tests.Unit;

/// <summary>Checkpointed reads must answer exactly what a full fold answers, however the history arrived.</summary>
public sealed class CheckpointTests
{
    private static readonly Source Reuters = new("Reuters");

    private static readonly Gen<DomainEvent> AnyFact = Gen.OneOf<DomainEvent>(
        Gen.OneOf("Minsk", "Vilnius").Select(c => (DomainEvent)new EmbassyClosed("US", c, EmbassyMode.Suspended)),
        Gen.OneOf("Minsk", "Vilnius").Select(c => (DomainEvent)new EmbassyReopened("US", c)),
        Gen.Int[0, 60].Select(n => (DomainEvent)new PrisonersReleased("BY", n)),
        Gen.OneOf("Belavia", "Belneftekhim").Select(t => (DomainEvent)new SanctionsImposed("US", "OFAC", t, TargetKind.Entity, ["SDN"], "P1")),
        Gen.OneOf("Belavia", "Belneftekhim").Select(t => (DomainEvent)new SanctionsEased("US", t, ["parts"], "P1")),
        Gen.Const((DomainEvent)new LeadersSpoke(["Trump", "Lukashenko"], "phone")));

    /// <summary>Each step appends a fact at a random (often backdated) date, or corrects, retracts or cites an earlier one.</summary>
    private static readonly Gen<(int Kind, DomainEvent Fact, int Day, int Target)[]> AnySteps =
        Gen.Select(Gen.Int[0, 9], AnyFact, Gen.Int[0, 3000], Gen.Int[0, 1000]).Array[1, 60];

    /// <param name="spread">days the history's dates spread over (from 2015-01-01)</param>
    private static List<RecordedEvent> Record((int Kind, DomainEvent Fact, int Day, int Target)[] steps, int spread = 3000)
    {
        var recorded = new List<RecordedEvent>();
        var facts = new List<Guid>();
        var day0 = new DateOnly(2015, 1, 1);
        for (var i = 0; i < steps.Length; i++)
        {
            var (kind, fact, day, target) = steps[i];
            var on = new Occurrence(day0.AddDays(day % (spread + 1)), Precision.Day);
            LedgerEvent e = kind switch
            {
                6 when facts.Count > 0 => new EventCorrected(facts[target % facts.Count], new JsonObject { ["summary"] = $"reworded {i}" }, "wording"),
                7 when facts.Count > 0 => new EventCorrected(facts[target % facts.Count], new JsonObject { ["occurredOn"] = day0.AddDays((day * 7) % (spread + 1)).ToString("yyyy-MM-dd") }, "date"),
                8 when facts.Count > 0 => new EventRetracted(facts[target % facts.Count], "withdrawn"),
                9 when facts.Count > 0 => new SourceCited(facts[target % facts.Count], Reuters, Stance.Disputes),
                _ => fact,
            };
            e = e with { Id = Guid.NewGuid(), OccurredOn = on, Summary = $"summary {i}", Sources = [Reuters], RelatedEventIds = facts.Count > 0 ? [facts[^1]] : [] };
            if (e is DomainEvent) facts.Add(e.Id);
            recorded.Add(new RecordedEvent(e, i + 1, DateTimeOffset.UnixEpoch.AddSeconds(i + 1), i + 1));
        }
        return recorded;
    }

    private static string Json(RelationshipState s) => System.Text.Json.JsonSerializer.Serialize(s, LedgerJson.Options);

    [Fact]
    public void checkpointed_answers_equal_a_full_fold_for_histories_with_backdated_appends_and_provenance()
    {
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Int[0, 3100].Array[5], Gen.Bool).Sample((steps, split, days, busy) =>
        {
            // busy: every date within two months and a checkpoint allowed every 2 events, so the checkpoints inside a
            // month (and their invalidation by backdated facts and provenance) are exercised too
            var (spread, every) = busy ? (60, 2) : (3000, CheckpointedHistory.DefaultEvery);
            var recorded = Record(steps, spread);
            var at = Math.Min(split, recorded.Count);
            var whole = CheckpointedHistory.Build(recorded, every);
            var grown = CheckpointedHistory.Build(recorded.Take(at), every).Extend(recorded.Skip(at).ToList());
            // grown a few events at a time too: tails of facts alone are merged into the resolved history, not resolved again
            var stepwise = recorded.Chunk(3).Aggregate(CheckpointedHistory.Build([], every), (h, chunk) => h.Extend(chunk));
            // as a history of what was known at a moment is built: checkpoints by count alone
            var counted = CheckpointedHistory.Build(recorded, 2, monthly: false);
            static IEnumerable<(Guid, long, string)> Order(CheckpointedHistory h) => h.Resolved.Select(r => (r.Event.Id, r.Sequence, r.Effective.ToString("O")));
            Assert.Equal(Order(whole), Order(grown));
            Assert.Equal(Order(whole), Order(stepwise));
            foreach (var asOf in days.Select(d => new DateOnly(2015, 1, 1).AddDays(d % (spread + 100) - 50)))
            {
                var expected = Json(RelationshipState.Fold(recorded, asOf));
                Assert.Equal(expected, Json(whole.StateAt(asOf)));
                Assert.Equal(expected, Json(grown.StateAt(asOf)));
                Assert.Equal(expected, Json(stepwise.StateAt(asOf)));
                Assert.Equal(expected, Json(counted.StateAt(asOf)));
            }
        }, iter: 500);
    }

    [Fact]
    public void resolving_only_the_facts_provenance_names_equals_resolving_every_event()
    {
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Int.Array[60]).Sample((steps, spread, keys) =>
        {
            var recorded = Record(steps, spread);
            // the reference: every event through one resolver, in sequence order, then ordered by date and sequence
            var all = Provenance.Resolver.Of(recorded);
            var expected = recorded.Where(e => e.Event is DomainEvent).Select(e => all.Fact(e.Event.Id)!)
                .OrderBy(r => r.Effective).ThenBy(r => r.Sequence).Select(Shape).ToList();
            // given in any order, as a list or not
            var shuffled = recorded.Select((e, i) => (e, keys[i])).OrderBy(x => x.Item2).Select(x => x.e);
            Assert.Equal(expected, Provenance.Resolve(shuffled).Select(Shape));
            Assert.Equal(expected, Provenance.Resolve(shuffled.ToList()).Select(Shape));
            Assert.Equal(expected, Provenance.Resolve(recorded).Select(Shape));
            Assert.Equal(recorded.Select(e => e.Sequence), recorded.Select(e => e.Sequence).Order());
        }, iter: 500);

        static string Shape(ResolvedEvent r) =>
            $"{r.Sequence} {r.Effective:O} {Json(r.Event)} c:{string.Join(',', r.Corrections.Select(c => c.CorrectionId))} " +
            $"s:{string.Join(',', r.Citations.Select(c => c.CitationId))} r:{r.Retraction?.Id}";

        static string Json(DomainEvent e) => System.Text.Json.JsonSerializer.Serialize<LedgerEvent>(e, LedgerJson.Options);
    }

    [Fact]
    public void an_indexed_stream_finds_what_bears_on_any_events_as_a_scan_of_the_stream_does()
    {
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Int[0, 1000].Array[0, 6], Gen.Bool).Sample((steps, split, picks, unknown) =>
        {
            var recorded = Record(steps);
            var at = Math.Min(split, recorded.Count);
            // indexed from a first part, then grown one event at a time, as an import's pair is
            var indexed = new IndexedStream(recorded.Take(at));
            foreach (var e in recorded.Skip(at)) indexed.Add(e);
            var ids = picks.Select(i => recorded[i % recorded.Count].Event.Id).Concat(unknown ? [Guid.NewGuid()] : []).ToHashSet();
            Assert.Equal(recorded.Where(e => ids.Contains(e.Event.Id) || (e.Event is ProvenanceEvent p && ids.Contains(p.TargetId))).Select(e => e.Sequence),
                Provenance.Bearing(indexed, ids).Select(e => e.Sequence));
            Assert.Equal(recorded.Select(e => e.Sequence), indexed.Select(e => e.Sequence));
        }, iter: 500);
    }

    [Fact]
    public void the_history_cache_keeps_everything_the_fold_reads()
    {
        Gen.Select(AnySteps, Gen.Int[0, 3100].Array[5]).Sample((steps, days) =>
        {
            var recorded = Record(steps);
            var lean = CheckpointedHistory.Build(recorded.Select(RelationsLedger.Relations.Replaying.HistoryCache.Lean));
            foreach (var asOf in days.Select(d => new DateOnly(2015, 1, 1).AddDays(d - 50)))
                Assert.Equal(Json(RelationshipState.Fold(recorded, asOf)), Json(lean.StateAt(asOf)));
        }, iter: 500);
    }

    [Fact]
    public void a_summary_from_a_checkpointed_history_equals_one_folded_from_scratch()
    {
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Bool).Sample((steps, split, busy) =>
        {
            var (spread, every) = busy ? (60, 2) : (3000, CheckpointedHistory.DefaultEvery);
            var recorded = Record(steps, spread);
            var at = Math.Min(split, recorded.Count);
            var grown = CheckpointedHistory.Build(recorded.Take(at), every).Extend(recorded.Skip(at).ToList());
            static string Summary(RelationsLedger.Relations.Projections.RelationshipSummary s) => System.Text.Json.JsonSerializer.Serialize(s, LedgerJson.Options);
            Assert.Equal(Summary(RelationsLedger.Relations.Projections.RelationshipSummary.Of("BY-US", recorded)),
                Summary(RelationsLedger.Relations.Projections.RelationshipSummary.Of("BY-US", grown)));
        }, iter: 500);
    }

    [Fact]
    public void the_timeline_rows_that_fresh_events_change_are_those_of_the_whole_stream_resolved()
    {
        static string Rows(IEnumerable<RelationsLedger.Relations.Projections.TimelineEntry> rows) =>
            System.Text.Json.JsonSerializer.Serialize(rows.OrderBy(r => r.Id).ToList(), LedgerJson.Options);
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Bool).Sample((steps, split, storedIncludesFresh) =>
        {
            var recorded = Record(steps);
            var at = Math.Min(split, recorded.Count);
            var fresh = recorded.Skip(at).ToList();
            var whole = Provenance.Resolve(recorded).ToDictionary(r => r.Event.Id);
            var expected = fresh.Select(e => e.Event is ProvenanceEvent p ? p.TargetId : e.Event.Id).Distinct()
                .Where(whole.ContainsKey).Select(id => RelationsLedger.Relations.Projections.TimelineEntry.Of("BY-US", whole[id]));
            var stored = storedIncludesFresh ? recorded : recorded.Take(at).ToList();
            Assert.Equal(Rows(expected), Rows(RelationsLedger.Relations.Projections.TimelineProjection.Rows("BY-US", fresh, stored)));
        }, iter: 500);
    }

    [Fact]
    public void a_history_keeps_one_checkpoint_per_month_with_events()
    {
        var recorded = Record([.. Enumerable.Range(0, 90).Select(d => (0, (DomainEvent)new LeadersSpoke(["a", "b"], "phone"), d, 0))]);
        Assert.Equal(3, CheckpointedHistory.Build(recorded).Checkpoints);
        // by count alone: at the first event of a day once 48 have passed
        Assert.Equal(1, CheckpointedHistory.Build(recorded, monthly: false).Checkpoints);
    }

    [Fact]
    public void a_busy_month_gets_a_checkpoint_every_few_dozen_events_but_never_inside_a_day()
    {
        static (int, DomainEvent, int, int) Spoke(int day) => (0, new LeadersSpoke(["a", "b"], "phone"), day, 0);
        // 200 events over 20 days of one month, 10 a day: the month's start, then the first event of a new day once
        // 48 have passed (events 50, 100, 150)
        Assert.Equal(4, CheckpointedHistory.Build(Record([.. Enumerable.Range(0, 200).Select(i => Spoke(i / 10))])).Checkpoints);
        // 200 events on one day: a day is never split
        Assert.Equal(1, CheckpointedHistory.Build(Record([.. Enumerable.Range(0, 200).Select(_ => Spoke(3))])).Checkpoints);
    }

    [Fact]
    public void a_history_knew_all_at_a_moment_exactly_when_every_one_of_its_events_was_recorded_by_then()
    {
        // the store's timestamps need not follow the sequences (two transactions' clocks): jittered here, so a history
        // that looked only at its newest event's time would answer wrongly
        Gen.Select(AnySteps, Gen.Int[0, 59], Gen.Int[-5, 5].Array[60], Gen.Int[-2, 62], Gen.Int[-1, 61]).Sample((steps, split, jitter, second, basis) =>
        {
            var recorded = Record(steps).Select((e, i) => e with { RecordedAt = e.RecordedAt.AddSeconds(jitter[i]) }).ToList();
            var at = Math.Min(split, recorded.Count);
            var built = CheckpointedHistory.Build(recorded);
            var grown = CheckpointedHistory.Build(recorded[..at]).Extend(recorded[at..]);
            foreach (var knowledge in new Relations.Replaying.Knowledge[]
                     {
                         new(DateTimeOffset.UnixEpoch.AddSeconds(second), null), new(null, basis), new(DateTimeOffset.UnixEpoch.AddSeconds(second), basis),
                         Relations.Replaying.Knowledge.Latest,
                     })
            {
                var all = recorded.All(knowledge.Includes);
                Assert.Equal(all, built.KnewAll(knowledge));
                Assert.Equal(all, grown.KnewAll(knowledge));
            }
        });
    }

    [Fact]
    public void a_history_as_known_at_a_moment_answers_the_fold_of_what_was_known_and_is_shared_only_by_moments_that_knew_the_same()
    {
        // timestamps jittered so that what an instant knew and what a basis knew can be as many events yet not the same ones
        Gen.Select(AnySteps, Gen.Int[-5, 5].Array[60], Gen.Select(Gen.Int[-2, 62], Gen.Int[-1, 61], Gen.Bool).Array[4], Gen.Int[0, 3100].Array[3])
            .Sample((steps, jitter, moments, days) =>
        {
            var recorded = Record(steps).Select((e, i) => e with { RecordedAt = e.RecordedAt.AddSeconds(jitter[i]) }).ToList();
            var latest = CheckpointedHistory.Build(recorded);
            var cache = new Relations.Replaying.HistoryCache(maxKnownEvents: 1_000);
            var pair = new Pair("BY", "US");
            var seen = new Dictionary<string, CheckpointedHistory>();
            foreach (var (second, basis, byInstant) in moments)
            {
                var knowledge = byInstant ? new Relations.Replaying.Knowledge(DateTimeOffset.UnixEpoch.AddSeconds(second), null) : new(null, basis);
                var known = recorded.Where(knowledge.Includes).ToList();
                var history = cache.AsKnown(pair, latest, knowledge);
                Assert.Equal(known.Select(e => e.Sequence), history.Recorded.Select(e => e.Sequence));
                foreach (var asOf in days.Select(d => new DateOnly(2015, 1, 1).AddDays(d - 50)))
                    Assert.Equal(Json(RelationshipState.Fold(known, asOf)), Json(history.StateAt(asOf)));
                var set = string.Join(",", known.Select(e => e.Sequence));
                if (seen.TryGetValue(set, out var earlier)) Assert.Same(earlier, history);
                Assert.DoesNotContain(seen, s => s.Key != set && ReferenceEquals(s.Value, history));
                seen[set] = history;
            }
        }, iter: 500);
    }

    [Fact]
    public void a_history_as_known_is_not_shared_with_another_stream_at_the_same_sequences()
    {
        // a database reset starts the sequences again: the same count and newest sequence, other events
        static (int, DomainEvent, int, int) Released(int day) => (0, new PrisonersReleased("BY", day), day, 0);
        var (before, after) = (Record([Released(1), Released(2)]), Record([Released(3), Released(4)]));
        var cache = new Relations.Replaying.HistoryCache();
        var pair = new Pair("BY", "US");
        var knowledge = new Relations.Replaying.Knowledge(null, 1);
        var first = cache.AsKnown(pair, CheckpointedHistory.Build(before), knowledge);
        var second = cache.AsKnown(pair, CheckpointedHistory.Build(after), knowledge);
        Assert.Equal(3, second.StateAt(new DateOnly(2016, 1, 1)).PrisonersReleased.Total);
        Assert.NotSame(first, second);
    }
}
