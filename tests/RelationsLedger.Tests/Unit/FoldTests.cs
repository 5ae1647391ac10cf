using System.Text.Json.Nodes;
using CsCheck;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Unit;

public sealed class FoldTests
{
    private static long _sequence;
    private static readonly Source Reuters = new("Reuters");

    private static RecordedEvent At(string occurredOn, LedgerEvent e, long? sequence = null) =>
        new(e with { Id = Guid.NewGuid(), OccurredOn = Occurrence.Parse(occurredOn), Summary = $"{e.GetType().Name} {occurredOn}", Sources = [Reuters] },
            sequence ?? Interlocked.Increment(ref _sequence), DateTimeOffset.UnixEpoch.AddSeconds(sequence ?? _sequence));

    private static DateOnly D(string date) => DateOnly.Parse(date);

    [Fact]
    public void an_embassy_is_listed_from_its_first_event_and_follows_closure_and_reopening()
    {
        var history = new[]
        {
            At("2022-02-28", new EmbassyClosed("US", "Minsk", EmbassyMode.Suspended)),
            At("2026-03-01", new EmbassyReopened("US", "Minsk")),
        };
        Assert.Empty(RelationshipState.Fold(history, D("2022-02-27")).Embassies);
        var closed = Assert.Single(RelationshipState.Fold(history, D("2022-03-01")).Embassies.Values);
        Assert.Equal((EmbassyStatus.Suspended, "2022-02-28"), (closed.Status, closed.Since.ToString()));
        var reopened = Assert.Single(RelationshipState.Fold(history, D("2026-03-01")).Embassies.Values);
        Assert.Equal((EmbassyStatus.Open, "2026-03-01"), (reopened.Status, reopened.Since.ToString()));
        Assert.Equal(2, reopened.EventIds.Count);
    }

    [Fact]
    public void an_ambassador_moves_from_nomination_to_withdrawn_agrement()
    {
        var history = new[]
        {
            At("2020-04-20", new AmbassadorNominated("US", "Julie Fisher")),
            At("2020-12-15", new AmbassadorConfirmed("US", "Julie Fisher")),
            At("2021-08-11", new AgrementWithdrawn("BY", "Julie Fisher")),
            At("2008-03-07", new AmbassadorRecalled("BY", "Mikhail Khvastou")),
        };
        var state = RelationshipState.Fold(history, D("2021-12-31"));
        Assert.Equal(
            [("BY", "Mikhail Khvastou", AmbassadorStatus.Recalled, "2008-03-07"), ("US", "Julie Fisher", AmbassadorStatus.Withdrawn, "2021-08-11")],
            state.Ambassadors.Values.Select(a => (a.AmbassadorOf, a.Name, a.Status, a.Since.ToString())).ToList());
        Assert.Equal(AmbassadorStatus.Confirmed, RelationshipState.Fold(history, D("2021-01-01")).Ambassadors["US"].Status);
    }

    [Fact]
    public void a_sanction_row_is_keyed_by_issuer_target_and_program_and_a_program_changes_only_its_row()
    {
        var history = new[]
        {
            At("2022-06-16", new SanctionsImposed("US", "Commerce BIS", "Belavia", TargetKind.Entity, ["denial of export privileges"], "BIS denial order")),
            At("2023-08-09", new SanctionsImposed("US", "Treasury OFAC", "Belavia", TargetKind.Entity, ["SDN listing"], "E.O. 14038")),
            At("2024-12", new SanctionsExpired("US", "belavia", "bis DENIAL order")),
            At("2025-09-11", new SanctionsEased("US", "Belavia", ["Boeing parts"], "E.O. 14038", "General License")),
        };
        var state = RelationshipState.Fold(history, D("2025-09-30"));
        Assert.Equal(
            [("BIS denial order", SanctionStatus.Expired, "2024-12"), ("E.O. 14038", SanctionStatus.Eased, "2025-09-11")],
            state.Sanctions.Values.Select(s => (s.Program, s.Status, s.Since.ToString())).ToList());
        Assert.Equal(["Boeing parts"], state.Sanctions.Values.Last().EasedScope);

        var liftedEverything = history.Append(At("2026-01-01", new SanctionsLifted("US", "Belavia")));
        Assert.All(RelationshipState.Fold(liftedEverything, D("2026-01-01")).Sanctions.Values, s => Assert.Equal(SanctionStatus.Lifted, s.Status));
    }

    [Fact]
    public void a_sanction_rows_key_is_its_issuer_target_and_program_without_case_or_surrounding_spaces()
    {
        // the keys are in every stored summary's JSON: their form may not change
        var longName = "Ж" + new string('A', 300) + " ";
        var history = new[]
        {
            At("2021-06-03", new SanctionsImposed("US", "OFAC", " БЕЛАВИА Airlines ", TargetKind.Entity, ["asset freeze"], " E.O. 14038 ")),
            At("2021-06-04", new SanctionsImposed("US", "OFAC", "Grodno Azot", TargetKind.Entity, ["asset freeze"])),
            At("2021-06-05", new SanctionsImposed("EU", "Council", longName, TargetKind.Person, ["travel ban"], "2021/1030")),
            At("2025-09-11", new SanctionsEased("US", "белавиа airlines", ["Boeing parts"], "e.o. 14038")),
            At("2025-09-12", new SanctionsLifted("EU", " " + longName.ToLowerInvariant())),
        };
        var state = RelationshipState.Fold(history, D("2025-09-30"));
        Assert.Equal(
            [("EU|" + longName.Trim().ToLowerInvariant() + "|2021/1030", SanctionStatus.Lifted), ("US|grodno azot|", SanctionStatus.Active), ("US|белавиа airlines|e.o. 14038", SanctionStatus.Eased)],
            state.Sanctions.Select(s => (s.Key, s.Value.Status)).ToList());
    }

    [Fact]
    public void imposing_again_makes_an_eased_row_active_and_clears_its_eased_scope()
    {
        var history = new[]
        {
            At("2007-11", new SanctionsImposed("US", "OFAC", "Belneftekhim", TargetKind.Entity, ["asset freeze"], "E.O. 13405")),
            At("2015-10-30", new SanctionsEased("US", "Belneftekhim", ["general license"], "E.O. 13405")),
            At("2021-06-03", new SanctionsImposed("US", "OFAC", "Belneftekhim", TargetKind.Entity, ["full blocking"], "E.O. 13405")),
        };
        Assert.Equal(SanctionStatus.Eased, RelationshipState.Fold(history, D("2020-01-01")).Sanctions.Values.Single().Status);
        var row = RelationshipState.Fold(history, D("2021-06-03")).Sanctions.Values.Single();
        Assert.Equal((SanctionStatus.Active, "2021-06-03"), (row.Status, row.Since.ToString()));
        Assert.Equal(["asset freeze", "full blocking"], row.Measures);
        Assert.Empty(row.EasedScope);
    }

    [Fact]
    public void prisoners_add_up_by_nationality_and_the_last_direct_contact_is_remembered()
    {
        var history = new[]
        {
            At("2025-06-21", new PrisonersReleased("BY", 14, new Dictionary<string, int> { ["US"] = 1, ["PL"] = 3 })),
            At("2025-09-11", new PrisonersReleased("BY", 52, new Dictionary<string, int> { ["PL"] = 2, ["LT"] = 6 }, "LT")),
            At("2025-09-11", new EnvoyVisited("John Coale", "US", "Minsk", ["Alexander Lukashenko"])),
            At("2025-09-11", new StatementMade("John Coale", "embassy should return")),
        };
        var state = RelationshipState.Fold(history, D("2025-09-11"));
        Assert.Equal((66, 2), (state.PrisonersReleased.Total, state.PrisonersReleased.Releases));
        Assert.Equal(new Dictionary<string, int> { ["LT"] = 6, ["PL"] = 5, ["US"] = 1 }, state.PrisonersReleased.ByNationality);
        Assert.Equal("EnvoyVisited", state.LastContact?.Type);
        Assert.Equal(4, state.EventCount);
    }

    [Fact]
    public void events_fold_by_period_start_then_sequence_so_a_month_precise_fact_counts_from_the_first_of_its_month()
    {
        var monthly = At("2024-12", new SanctionsExpired("US", "Belavia", "BIS denial order"));
        var state = RelationshipState.Fold([monthly], D("2024-12-01"));
        Assert.Equal(1, state.EventCount);
        Assert.Equal("2024-12", state.LastEventOn.ToString());
        Assert.Equal(0, RelationshipState.Fold([monthly], D("2024-11-30")).EventCount);
    }

    [Fact]
    public void a_correction_changes_the_fact_and_a_retraction_drops_it_but_only_once_they_are_known()
    {
        var visit = At("2025-09-11", new EnvoyVisited("John Cole", "US", "Minsk", ["Alexander Lukashenko"]));
        var correction = At("2025-09-12", new EventCorrected(visit.Event.Id, new JsonObject { ["data"] = new JsonObject { ["envoy"] = "John Coale" } }, "spelling"));
        var release = At("2025-09-11", new PrisonersReleased("BY", 52));
        var retraction = At("2025-09-13", new EventRetracted(release.Event.Id, "duplicate"));

        var before = Provenance.Resolve([visit, release]);
        Assert.Equal("John Cole", ((EnvoyVisited)before.Single(e => e.Event is EnvoyVisited).Event).Envoy);
        var after = Provenance.Resolve([visit, release, correction, retraction]);
        var corrected = after.Single(e => e.Event is EnvoyVisited);
        Assert.Equal("John Coale", ((EnvoyVisited)corrected.Event).Envoy);
        Assert.True(corrected.Corrected);
        Assert.Equal(0, RelationshipState.Fold(after, D("2025-12-31")).PrisonersReleased.Total);
        Assert.Equal(1, RelationshipState.Fold(after, D("2025-12-31")).EventCount);
    }

    [Fact]
    public void a_resolved_fact_keeps_its_recorded_event_and_shares_the_empty_revisions_until_provenance_names_it()
    {
        var visit = At("2025-09-11", new EnvoyVisited("John Cole", "US", "Minsk", ["Alexander Lukashenko"]));
        var release = At("2025-09-11", new PrisonersReleased("BY", 52));
        var correction = At("2025-09-12", new EventCorrected(visit.Event.Id, new JsonObject { ["data"] = new JsonObject { ["envoy"] = "John Coale" } }, "spelling"));
        var citation = At("2025-09-12", new SourceCited(visit.Event.Id, Reuters, Stance.Disputes));
        var retraction = At("2025-09-13", new EventRetracted(visit.Event.Id, "duplicate"));

        var resolved = Provenance.Resolve([visit, release, correction, citation, retraction]);
        var untouched = resolved.Single(e => e.Event is PrisonersReleased);
        Assert.Same(release, untouched.Recorded);
        Assert.Same(Revisions.None, untouched.Revisions);
        Assert.Equal((release.Sequence, release.RecordedAt), (untouched.Sequence, untouched.RecordedAt));
        Assert.False(untouched.Corrected || untouched.Disputed || untouched.Retracted);

        var revised = resolved.Single(e => e.Event is EnvoyVisited);
        Assert.Same(visit.Event, revised.Original);
        Assert.Equal("John Coale", ((EnvoyVisited)revised.Event).Envoy);
        Assert.Equal([correction.Sequence], revised.Corrections.Select(c => c.Sequence));
        Assert.Equal([citation.Sequence], revised.Citations.Select(c => c.Sequence));
        Assert.Same(retraction.Event, revised.Retraction);
        Assert.True(revised.Corrected && revised.Disputed && revised.Retracted);
        Assert.Empty(Revisions.None.Corrections);
        Assert.Empty(Revisions.None.Citations);
    }

    [Fact]
    public void a_correction_of_the_date_moves_the_fact_in_time()
    {
        var closure = At("2022-02-01", new EmbassyClosed("US", "Minsk", EmbassyMode.Suspended));
        var correction = At("2022-03-01", new EventCorrected(closure.Event.Id, new JsonObject { ["occurredOn"] = "2022-02-28" }, "wrong date"));
        Assert.Single(RelationshipState.Fold([closure], D("2022-02-15")).Embassies);
        Assert.Empty(RelationshipState.Fold([closure, correction], D("2022-02-15")).Embassies);
    }

    private static readonly Gen<DomainEvent> AnyFact = Gen.OneOf<DomainEvent>(
        Gen.OneOf("Minsk", "Vilnius").Select(c => (DomainEvent)new EmbassyClosed("US", c, EmbassyMode.Suspended)),
        Gen.OneOf("Minsk", "Vilnius").Select(c => (DomainEvent)new EmbassyReopened("US", c)),
        Gen.OneOf("Fisher", "Stewart").Select(n => (DomainEvent)new AmbassadorNominated("US", n)),
        Gen.OneOf("Fisher", "Stewart").Select(n => (DomainEvent)new AmbassadorRecalled("US", n)),
        Gen.Int[0, 60].Select(n => (DomainEvent)new PrisonersReleased("BY", n, new Dictionary<string, int> { ["LT"] = n / 2 })),
        Gen.OneOf("Belavia", "Belneftekhim").Select(t => (DomainEvent)new SanctionsImposed("US", "OFAC", t, TargetKind.Entity, ["SDN"], "P1")),
        Gen.OneOf("Belavia", "Belneftekhim").Select(t => (DomainEvent)new SanctionsEased("US", t, ["parts"], "P1")),
        Gen.OneOf("Belavia", "Belneftekhim").Select(t => (DomainEvent)new SanctionsLifted("US", t)),
        Gen.Const((DomainEvent)new LeadersSpoke(["Trump", "Lukashenko"], "phone")),
        Gen.Const((DomainEvent)new GiftPresented("Trump", "Lukashenko", "cufflinks")));

    /// <summary>Distinct dates, so a chronological order exists; then any append order must fold to the same state.</summary>
    private static readonly Gen<(DomainEvent Fact, DateOnly Date)[]> AnyHistory =
        Gen.Select(AnyFact, Gen.Int[0, 9000]).Array[1, 40]
            .Select(items => items.DistinctBy(i => i.Item2).Select(i => (i.Item1 with { Id = Guid.NewGuid() } as DomainEvent ?? i.Item1, new DateOnly(2000, 1, 1).AddDays(i.Item2))).ToArray());

    [Fact]
    public void any_append_order_folds_to_the_state_of_a_chronological_append()
    {
        Gen.Select(AnyHistory, Gen.Int[0, int.MaxValue], Gen.Int[0, 9000]).Sample((history, seed, asOfDay) =>
        {
            var asOf = new DateOnly(2000, 1, 1).AddDays(asOfDay);
            var chronological = history.OrderBy(h => h.Date).Select((h, i) => Recorded(h, i + 1)).ToList();
            var shuffled = history.OrderBy(_ => new Random(seed).Next()).Select((h, i) => Recorded(h, i + 1)).ToList();
            var expected = Comparable(RelationshipState.Fold(chronological, asOf));
            Assert.Equal(expected, Comparable(RelationshipState.Fold(shuffled, asOf)));
        }, iter: 300);
    }

    private static readonly Gen<DomainEvent> AnySanction = Gen.Select(
        Gen.OneOf("US", "GB"), Gen.OneOf("Belavia", " belavia", "Belavia|Ltd", "Grodno Azot"), Gen.OneOf<string?>(null, "P1", "p1 ", "P2"), Gen.Int[0, 3]).Select(
        (issuer, target, program, kind) => kind switch
        {
            0 => (DomainEvent)new SanctionsImposed(issuer, "OFAC", target, TargetKind.Entity, ["SDN"], program),
            1 => new SanctionsEased(issuer, target, ["parts"], program),
            2 => new SanctionsLifted(issuer, target, program),
            _ => new SanctionsExpired(issuer, target, program),
        });

    [Fact]
    public void a_sanctions_change_without_a_program_reaches_every_row_of_its_issuer_and_target_and_no_other()
    {
        static string Norm(string? text) => text?.Trim().ToLowerInvariant() ?? "";
        Gen.Select(AnySanction.Array[1, 60], Gen.Int[0, 60]).Sample((facts, reloadAt) =>
        {
            // a plain model of the register: rows by issuer, target and program, as the README describes them
            var model = new Dictionary<(string, string, string), SanctionStatus>();
            var state = RelationshipState.Empty;
            for (var i = 0; i < facts.Length; i++)
            {
                // a state read back from JSON (a stored summary) goes on from there
                if (i == reloadAt) state = System.Text.Json.JsonSerializer.Deserialize<RelationshipState>(Comparable(state), LedgerJson.Options)!;
                var (issuer, target, program, status) = facts[i] switch
                {
                    SanctionsImposed x => (x.ImposedBy, x.Target, x.Program, SanctionStatus.Active),
                    SanctionsEased x => (x.EasedBy, x.Target, x.Program, SanctionStatus.Eased),
                    SanctionsLifted x => (x.LiftedBy, x.Target, x.Program, SanctionStatus.Lifted),
                    SanctionsExpired x => (x.ImposedBy, x.Target, x.Program, SanctionStatus.Expired),
                    _ => throw new InvalidOperationException(),
                };
                var rows = program is null && status != SanctionStatus.Active
                    ? model.Keys.Where(k => k.Item1 == issuer && k.Item2 == Norm(target)).ToList()
                    : [(issuer, Norm(target), Norm(program))];
                if (rows.Count == 0) rows = [(issuer, Norm(target), "")];
                foreach (var row in rows) model[row] = status;
                state = state.Evolve(facts[i] with { Id = Guid.NewGuid(), OccurredOn = new Occurrence(new DateOnly(2020, 1, 1).AddDays(i), Precision.Day) });
            }
            Assert.Equal(
                model.OrderBy(m => m.Key).Select(m => $"{m.Key} {m.Value}"),
                state.Sanctions.Values.Select(s => ((s.ImposedBy, Norm(s.Target), Norm(s.Program)), s.Status)).OrderBy(m => m.Item1).Select(m => $"{m.Item1} {m.Status}"));
        }, iter: 500);
    }

    [Fact]
    public void the_sanctions_counts_carried_from_state_to_state_are_the_rows_counted()
    {
        // asked at some states and not others (counts never asked are counted on first use), and across a state read
        // back from JSON, as a stored summary is
        Gen.Select(Gen.OneOf(AnySanction, AnySanction, AnyFact).Array[1, 80], Gen.Bool.Array[80], Gen.Int[0, 80]).Sample((facts, ask, reloadAt) =>
        {
            var state = RelationshipState.Empty;
            for (var i = 0; i < facts.Length; i++)
            {
                if (i == reloadAt) state = System.Text.Json.JsonSerializer.Deserialize<RelationshipState>(Comparable(state), LedgerJson.Options)!;
                state = state.Evolve(facts[i] with { Id = Guid.NewGuid(), OccurredOn = new Occurrence(new DateOnly(2020, 1, 1).AddDays(i), Precision.Day) });
                var rows = state.Sanctions.Values;
                if (ask[i] || i == facts.Length - 1)
                    Assert.Equal(
                        new SanctionCounts(rows.Count(r => r.Status == SanctionStatus.Active), rows.Count(r => r.Status == SanctionStatus.Eased),
                            rows.Count(r => r.Status == SanctionStatus.Lifted), rows.Count(r => r.Status == SanctionStatus.Expired)),
                        state.SanctionCounts);
            }
            Assert.DoesNotContain("anctionCounts", Comparable(state));
        }, iter: 1000);
    }

    /// <summary>Every fact type of the catalog as a client submits it (<see cref="GeneratedEvents"/>).</summary>
    private static readonly Gen<DomainEvent> AnyCatalogFact = GeneratedEvents.AnyFact.Select(body =>
        (DomainEvent)SubmissionReader.Read(System.Text.Json.JsonSerializer.SerializeToElement(body), new DateOnly(2026, 11, 23), new Problems())!.Event);

    [Fact]
    public void the_sanctions_of_a_fold_are_the_fold_of_the_sanctions_facts_and_the_provenance_alone()
    {
        var day0 = new DateOnly(2000, 1, 1);
        // every type of fact, sanctions of a few issuers and targets (so changes meet rows), and provenance about any fact:
        // corrections of the date or of a sanction's target, retractions, citations
        Gen.Select(Gen.Select(Gen.OneOf(AnyCatalogFact, AnySanction, AnySanction), Gen.Int[0, 9], Gen.Int[0, 9000], Gen.Int[0, 1000]).Array[1, 60], Gen.Int[0, 9100])
            .Sample((steps, asOfDay) =>
            {
                var (recorded, facts) = (new List<RecordedEvent>(), new List<Guid>());
                for (var i = 0; i < steps.Length; i++)
                {
                    var (fact, kind, day, target) = steps[i];
                    var about = facts.Count > 0 ? facts[target % facts.Count] : Guid.Empty;
                    LedgerEvent e = kind switch
                    {
                        6 when facts.Count > 0 => new EventCorrected(about, new JsonObject { ["occurredOn"] = day0.AddDays((day * 7) % 9000).ToString("yyyy-MM-dd") }, "date"),
                        7 when facts.Count > 0 => new EventCorrected(about, new JsonObject { ["data"] = new JsonObject { ["target"] = "Grodno Azot" } }, "target"),
                        8 when facts.Count > 0 => new EventRetracted(about, "withdrawn"),
                        9 when facts.Count > 0 => new SourceCited(about, Reuters, Stance.Disputes),
                        _ => fact,
                    };
                    e = e with { Id = Guid.NewGuid(), OccurredOn = new Occurrence(day0.AddDays(day), Precision.Day) };
                    if (e is DomainEvent) facts.Add(e.Id);
                    recorded.Add(new RecordedEvent(e, i + 1, DateTimeOffset.UnixEpoch.AddSeconds(i + 1), i + 1));
                }
                var asOf = day0.AddDays(asOfDay);
                var read = recorded.Where(r => r.Event is ProvenanceEvent || RelationshipState.SanctionsFacts.Contains(r.Event.GetType())).ToList();
                Assert.Equal(Json(RelationshipState.Fold(recorded, asOf).Sanctions), Json(RelationshipState.Fold(read, asOf).Sanctions));
            }, iter: 1000);
    }

    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value, LedgerJson.Options);

    private static RecordedEvent Recorded((DomainEvent Fact, DateOnly Date) h, long sequence) =>
        new(h.Fact with { OccurredOn = new Occurrence(h.Date, Precision.Day), Sources = [Reuters], Summary = "s" }, sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence));

    /// <summary>The state as JSON: records holding lists compare by reference, their JSON by value.</summary>
    public static string Comparable(RelationshipState state) =>
        System.Text.Json.JsonSerializer.Serialize(state, LedgerJson.Options);
}
