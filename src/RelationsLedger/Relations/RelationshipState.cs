using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations;

[JsonConverter(typeof(CamelCaseEnum<EmbassyStatus>))] public enum EmbassyStatus { Open, Suspended, Closed }
[JsonConverter(typeof(CamelCaseEnum<AmbassadorStatus>))] public enum AmbassadorStatus { Nominated, Confirmed, Accredited, Expelled, Recalled, Withdrawn }
[JsonConverter(typeof(CamelCaseEnum<SanctionStatus>))] public enum SanctionStatus { Active, Eased, Lifted, Expired }

public sealed record Embassy(string EmbassyOf, string City, EmbassyStatus Status, Occurrence Since, EventTrail EventIds);

public sealed record Ambassador(string AmbassadorOf, string? Name, AmbassadorStatus Status, Occurrence Since, EventTrail EventIds);

public sealed record Sanction(
    string ImposedBy, string Target, string? TargetId, string? Program, SanctionStatus Status, Occurrence Since,
    ImmutableArray<string> Measures, ImmutableArray<string> EasedScope, string? Authority, TargetKind? TargetKind,
    EventTrail EventIds);

/// <summary>How many sanctions rows are in each status.</summary>
public sealed record SanctionCounts(int Active, int Eased, int Lifted, int Expired)
{
    public static readonly SanctionCounts None = new(0, 0, 0, 0);

    public static SanctionCounts Of(IEnumerable<Sanction> rows) => rows.Aggregate(None, (counts, row) => counts.Add(row.Status, 1));

    /// <summary>The counts after a row moved from <paramref name="from"/> (none: a new row) to <paramref name="to"/>.</summary>
    public SanctionCounts Moved(SanctionStatus? from, SanctionStatus to) => (from is { } old ? Add(old, -1) : this).Add(to, 1);

    private SanctionCounts Add(SanctionStatus status, int n) => status switch
    {
        SanctionStatus.Active => this with { Active = Active + n },
        SanctionStatus.Eased => this with { Eased = Eased + n },
        SanctionStatus.Lifted => this with { Lifted = Lifted + n },
        _ => this with { Expired = Expired + n },
    };
}

public sealed record PrisonerTally(int Total, int Releases, ImmutableSortedDictionary<string, int> ByNationality, EventTrail EventIds)
{
    public static readonly PrisonerTally None = new(0, 0, ImmutableSortedDictionary<string, int>.Empty, []);
}

public sealed record Contact(string Type, Occurrence OccurredOn, string Summary, Guid EventId);

/// <summary>The state of a relationship at a date. <see cref="Evolve"/> is the only place its rules live.</summary>
public sealed record RelationshipState(
    ImmutableSortedDictionary<string, Embassy> Embassies,
    ImmutableSortedDictionary<string, Ambassador> Ambassadors,
    ImmutableSortedDictionary<string, Sanction> Sanctions,
    PrisonerTally PrisonersReleased,
    Contact? LastContact,
    int EventCount,
    Occurrence? LastEventOn)
{
    public static readonly RelationshipState Empty = new(
        ImmutableSortedDictionary.Create<string, Embassy>(StringComparer.Ordinal), ImmutableSortedDictionary.Create<string, Ambassador>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, Sanction>(StringComparer.Ordinal), PrisonerTally.None, null, 0, null);

    /// <summary>Step 3 of every read: folds the resolved, ordered events whose period starts on or before <paramref name="asOf"/>.</summary>
    public static RelationshipState Fold(IEnumerable<ResolvedEvent> ordered, DateOnly asOf, RelationshipState? from = null) =>
        ordered.Where(e => !e.Retracted).TakeWhile(e => e.Effective <= asOf).Aggregate(from ?? Empty, (s, e) => s.Evolve(e.Event));

    public static RelationshipState Fold(IEnumerable<RecordedEvent> known, DateOnly asOf) => Fold(Provenance.Resolve(known), asOf);

    public RelationshipState Evolve(DomainEvent e)
    {
        var next = e switch
        {
            EmbassyOpened x => SetEmbassy(x.EmbassyOf, x.City, EmbassyStatus.Open, e),
            EmbassyClosed x => SetEmbassy(x.EmbassyOf, x.City, x.Mode == EmbassyMode.Suspended ? EmbassyStatus.Suspended : EmbassyStatus.Closed, e),
            EmbassyReopened x => SetEmbassy(x.EmbassyOf, x.City, EmbassyStatus.Open, e),
            AmbassadorNominated x => SetAmbassador(x.AmbassadorOf, x.Name, AmbassadorStatus.Nominated, e),
            AmbassadorConfirmed x => SetAmbassador(x.AmbassadorOf, x.Name, AmbassadorStatus.Confirmed, e),
            AmbassadorAccredited x => SetAmbassador(x.AmbassadorOf, x.Name, AmbassadorStatus.Accredited, e),
            AmbassadorExpelled x => SetAmbassador(x.AmbassadorOf, x.Name, AmbassadorStatus.Expelled, e),
            AmbassadorRecalled x => SetAmbassador(x.AmbassadorOf, x.Name, AmbassadorStatus.Recalled, e),
            AgrementWithdrawn x => WithdrawAgrement(x),
            PrisonersReleased x => this with { PrisonersReleased = Release(PrisonersReleased, x) },
            SanctionsImposed x => Impose(x),
            SanctionsEased x => Transition(x.EasedBy, x.Target, x.Program, x.TargetId, SanctionStatus.Eased, x, x.Scope),
            SanctionsLifted x => Transition(x.LiftedBy, x.Target, x.Program, x.TargetId, SanctionStatus.Lifted, x, []),
            SanctionsExpired x => Transition(x.ImposedBy, x.Target, x.Program, x.TargetId, SanctionStatus.Expired, x, []),
            _ when IsContact(e) => this with { LastContact = new Contact(e.GetType().Name, e.OccurredOn, e.Summary, e.Id) },
            _ => this,
        };
        return next with { EventCount = EventCount + 1, LastEventOn = e.OccurredOn };
    }

    /// <summary>The facts whose rules (<see cref="Evolve"/>) change <see cref="Sanctions"/>, which no other fact reads
    /// or changes: folding these alone, with their provenance, gives a state with the same sanctions — what the
    /// register reads of each pair instead of its whole stream.</summary>
    public static readonly IReadOnlySet<Type> SanctionsFacts = new HashSet<Type>
        { typeof(SanctionsImposed), typeof(SanctionsEased), typeof(SanctionsLifted), typeof(SanctionsExpired) };

    /// <summary>A high-level contact: the state shows the newest one, summary and all. The only events whose summary
    /// the fold reads.</summary>
    public static bool IsContact(DomainEvent e) => IsContact(e.GetType());

    /// <summary><see cref="IsContact(DomainEvent)"/> for an event type (the history cache reads the others without their summary).</summary>
    public static bool IsContact(Type type) => type == typeof(EnvoyVisited) || type == typeof(LeadersSpoke) || type == typeof(LetterDelivered) || type == typeof(GiftPresented);

    private RelationshipState SetEmbassy(string of, string city, EmbassyStatus status, DomainEvent e)
    {
        var key = $"{of}|{city.ToLowerInvariant()}";
        var row = Embassies.GetValueOrDefault(key);
        var since = row is not null && row.Status == status ? row.Since : e.OccurredOn;
        return this with { Embassies = Embassies.SetItem(key, new Embassy(of, city, status, since, (row?.EventIds ?? []).Add(e.Id))) };
    }

    private RelationshipState SetAmbassador(string of, string? name, AmbassadorStatus status, DomainEvent e)
    {
        var row = Ambassadors.GetValueOrDefault(of);
        var sameEnvoy = row is not null && (name is null || string.Equals(row.Name, name, StringComparison.OrdinalIgnoreCase));
        var since = sameEnvoy && row!.Status == status ? row.Since : e.OccurredOn;
        var ids = sameEnvoy ? row!.EventIds.Add(e.Id) : [e.Id];
        return this with { Ambassadors = Ambassadors.SetItem(of, new Ambassador(of, name ?? (sameEnvoy ? row!.Name : null), status, since, ids)) };
    }

    /// <summary>The receiving state withdraws its agrément: the named envoy of the other side is withdrawn.</summary>
    private RelationshipState WithdrawAgrement(AgrementWithdrawn x)
    {
        var row = Ambassadors.Values.FirstOrDefault(a => string.Equals(a.Name, x.Name, StringComparison.OrdinalIgnoreCase))
                  ?? Ambassadors.Values.FirstOrDefault(a => a.AmbassadorOf != x.WithdrawnBy);
        return row is null ? this : SetAmbassador(row.AmbassadorOf, x.Name, AmbassadorStatus.Withdrawn, x);
    }

    private static PrisonerTally Release(PrisonerTally tally, PrisonersReleased x)
    {
        var byNationality = tally.ByNationality;
        foreach (var (country, n) in x.ByNationality ?? ImmutableSortedDictionary<string, int>.Empty)
            byNationality = byNationality.SetItem(country, byNationality.GetValueOrDefault(country) + n);
        return new PrisonerTally(tally.Total + x.Count, tally.Releases + 1, byNationality, tally.EventIds.Add(x.Id));
    }

    /// <summary>A sanctions row's key: issuer, target and program, the target and program compared without case or
    /// surrounding spaces. Its first part is the row's <see cref="TargetKey"/>, by which the index finds it.</summary>
    private static string SanctionKey(string issuer, string target, string? program) =>
        $"{TargetKey(issuer, target)}|{program?.Trim().ToLowerInvariant()}";

    private static string TargetKey(string issuer, string target) => $"{issuer}|{target.Trim().ToLowerInvariant()}";

    /// <summary>The list with the items it lacks appended, in their order, each once.</summary>
    private static ImmutableArray<string> Union(ImmutableArray<string> list, IReadOnlyList<string> more)
    {
        foreach (var item in more)
            if (!list.Contains(item)) list = list.Add(item);
        return list;
    }

    private RelationshipState Impose(SanctionsImposed x)
    {
        var key = SanctionKey(x.ImposedBy, x.Target, x.Program);
        var row = Sanctions.GetValueOrDefault(key);
        var measures = Union(row?.Measures ?? [], x.Measures);
        return this with
        {
            Sanctions = Sanctions.SetItem(key, new Sanction(
                x.ImposedBy, x.Target, x.TargetId ?? row?.TargetId, x.Program, SanctionStatus.Active, x.OccurredOn,
                measures, [], x.Authority, x.TargetKind, (row?.EventIds ?? []).Add(x.Id))),
            _byTarget = row is null ? _byTarget.With(Sanctions, x.ImposedBy, x.Target, key) : _byTarget,
            _counts = _counts.Moved(row?.Status, SanctionStatus.Active),
        };
    }

    /// <summary>With a program, the one row of that measure; without, every row of that issuer and target.</summary>
    private RelationshipState Transition(string issuer, string target, string? program, string? targetId, SanctionStatus status, DomainEvent e, IReadOnlyList<string> scope)
    {
        var key = SanctionKey(issuer, target, program);
        var rows = program is not null
            ? Sanctions.TryGetValue(key, out var one) ? [new(key, one)] : new List<KeyValuePair<string, Sanction>>()
            : _byTarget.Of(Sanctions).GetValueOrDefault(TargetKey(issuer, target), []).Select(k => KeyValuePair.Create(k, Sanctions[k])).ToList();
        var (index, counts) = (_byTarget, _counts);
        var created = rows.Count == 0;
        if (created)
        {
            rows = [new(key, new Sanction(issuer, target, targetId, program, status, e.OccurredOn, [], [], null, null, []))];
            index = index.With(Sanctions, issuer, target, key);
        }
        var sanctions = Sanctions;
        foreach (var (rowKey, row) in rows)
        {
            var eased = status == SanctionStatus.Eased ? Union(row.EasedScope, scope) : row.EasedScope;
            sanctions = sanctions.SetItem(rowKey, row with
            {
                Status = status, Since = e.OccurredOn, EasedScope = eased, TargetId = row.TargetId ?? targetId, EventIds = row.EventIds.Add(e.Id),
            });
            counts = counts.Moved(created ? null : row.Status, status);
        }
        return this with { Sanctions = sanctions, _byTarget = index, _counts = counts };
    }

    /// <summary>How many of <see cref="Sanctions"/> are in each status (the chart series asks at every date of a
    /// history: counting the rows each time took most of a long pair's series).</summary>
    [JsonIgnore]
    public SanctionCounts SanctionCounts => _counts.Of(Sanctions);

    // derived from Sanctions, as the target index is: counted on first use, then moved along by each change
    private Counts _counts = new(null);

    private sealed class Counts(SanctionCounts? counts)
    {
        private SanctionCounts? _counts = counts;

        public SanctionCounts Of(ImmutableSortedDictionary<string, Sanction> sanctions) => _counts ??= SanctionCounts.Of(sanctions.Values);

        /// <summary>The counts after a change of one row; left to be counted on use when they were never counted.</summary>
        public Counts Moved(SanctionStatus? from, SanctionStatus to) => new(_counts?.Moved(from, to));

        // derived from the state's rows, so not part of its value
        public override bool Equals(object? obj) => obj is Counts;
        public override int GetHashCode() => 0;
    }

    // each constructed state gets its own (a deserialized one included); states made from it with `with` share it
    // until a row is added
    private TargetIndex _byTarget = new(null);

    /// <summary>The sanctions rows' keys by issuer and target, derived from <see cref="Sanctions"/> (built on first use,
    /// then carried from state to state): a transition without a program changes every row of its target, and a long
    /// history's register has hundreds of rows — scanning them all took a sixth of a rebuild's CPU.</summary>
    private sealed class TargetIndex(ImmutableDictionary<string, ImmutableArray<string>>? keys)
    {
        private ImmutableDictionary<string, ImmutableArray<string>>? _keys = keys;

        public ImmutableDictionary<string, ImmutableArray<string>> Of(ImmutableSortedDictionary<string, Sanction> sanctions) =>
            _keys ??= sanctions.GroupBy(r => TargetKey(r.Value.ImposedBy, r.Value.Target), r => r.Key)
                .ToImmutableDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);

        /// <summary>The index with a new row's key (given the rows before it).</summary>
        public TargetIndex With(ImmutableSortedDictionary<string, Sanction> before, string issuer, string target, string key)
        {
            var keys = Of(before);
            var of = TargetKey(issuer, target);
            return new(keys.SetItem(of, keys.GetValueOrDefault(of, []).Add(key)));
        }

        // derived from the state's rows, so not part of its value
        public override bool Equals(object? obj) => obj is TargetIndex;
        public override int GetHashCode() => 0;
    }
}
