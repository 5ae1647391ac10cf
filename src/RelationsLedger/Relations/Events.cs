using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations;

/// <summary>What every recorded fact carries besides its own data. <see cref="Id"/> is also the Marten event id.</summary>
public abstract record LedgerEvent
{
    public Guid Id { get; init; }
    public Occurrence OccurredOn { get; init; }
    public string Summary { get; init; } = "";
    public IReadOnlyList<Source> Sources { get; init; } = [];
    public IReadOnlyList<Guid> RelatedEventIds { get; init; } = [];
}

/// <summary>A fact about the relationship itself; folded into state.</summary>
public abstract record DomainEvent : LedgerEvent;

/// <summary>A statement about another recorded fact: corrects, retracts or cites a source for it.</summary>
public abstract record ProvenanceEvent : LedgerEvent
{
    [JsonIgnore] public abstract Guid TargetId { get; }
}

public sealed record Source(
    string Outlet,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? PublishedOn = null);

[JsonConverter(typeof(CamelCaseEnum<EmbassyMode>))] public enum EmbassyMode { Suspended, Closed }
[JsonConverter(typeof(CamelCaseEnum<TargetKind>))] public enum TargetKind { Person, Entity, Sector, Country, Aircraft }
[JsonConverter(typeof(CamelCaseEnum<Stance>))] public enum Stance { Supports, Disputes }

public sealed class CamelCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where T : struct, Enum;

// Embassies
public sealed record EmbassyOpened(string EmbassyOf, string City) : DomainEvent;
public sealed record EmbassyClosed(string EmbassyOf, string City, EmbassyMode Mode, string? Reason = null) : DomainEvent;
public sealed record EmbassyReopened(string EmbassyOf, string City) : DomainEvent;
public sealed record DiplomatsExpelled(string ExpelledBy, string DiplomatsOf, int? Count = null, int? StaffCap = null) : DomainEvent;

// Ambassadors
public sealed record AmbassadorNominated(string AmbassadorOf, string Name) : DomainEvent;
public sealed record AmbassadorConfirmed(string AmbassadorOf, string Name) : DomainEvent;
public sealed record AmbassadorAccredited(string AmbassadorOf, string Name) : DomainEvent;
public sealed record AmbassadorExpelled(string ExpelledBy, string AmbassadorOf, string? Name = null) : DomainEvent;
public sealed record AmbassadorRecalled(string AmbassadorOf, string? Name = null) : DomainEvent;
public sealed record AgrementWithdrawn(string WithdrawnBy, string Name) : DomainEvent;
public sealed record AmbassadorExchangeAgreed() : DomainEvent;

// Contacts
public sealed record EnvoyVisited(string Envoy, string EnvoyOf, string City, IReadOnlyList<string> MetWith, string? Role = null) : DomainEvent;
public sealed record EnvoyAppointed(string Envoy, string EnvoyOf, string Role) : DomainEvent;
public sealed record LeadersSpoke(IReadOnlyList<string> Participants, string Medium) : DomainEvent;
public sealed record LetterDelivered(string From, string To, string Gist, string? DeliveredBy = null) : DomainEvent;
public sealed record GiftPresented(string From, string To, string Gift, string? PresentedBy = null) : DomainEvent;
public sealed record StatementMade(string By, string Gist, string? OnBehalfOf = null) : DomainEvent;
public sealed record AgreementSigned(IReadOnlyList<string> Parties, string Title) : DomainEvent;
public sealed record IncidentOccurred(string Kind, string Gist) : DomainEvent;
public sealed record VisaDenied(string DeniedBy, string DeniedTo, string Gist) : DomainEvent;
public sealed record MilitaryObserversAttended(string ObserversOf, string Exercise) : DomainEvent;

// Prisoners
public sealed record PrisonersReleased(
    string ReleasedBy, int Count, IReadOnlyDictionary<string, int>? ByNationality = null,
    string? TransferredTo = null, IReadOnlyList<string>? Names = null) : DomainEvent;

// Sanctions: one register row per issuer + target + program
public sealed record SanctionsImposed(
    string ImposedBy, string Authority, string Target, TargetKind TargetKind, IReadOnlyList<string> Measures,
    string? Program = null, string? TargetId = null) : DomainEvent;
public sealed record SanctionsEased(
    string EasedBy, string Target, IReadOnlyList<string> Scope, string? Program = null, string? Instrument = null,
    string? TargetId = null) : DomainEvent;
public sealed record SanctionsLifted(string LiftedBy, string Target, string? Program = null, string? Instrument = null, string? TargetId = null) : DomainEvent;
public sealed record SanctionsExpired(string ImposedBy, string Target, string? Program = null, string? TargetId = null) : DomainEvent;

// Provenance
public sealed record EventCorrected(Guid CorrectsEventId, JsonObject Patch, string Reason) : ProvenanceEvent
{
    [JsonIgnore] public override Guid TargetId => CorrectsEventId;
}
public sealed record EventRetracted(Guid RetractsEventId, string Reason) : ProvenanceEvent
{
    [JsonIgnore] public override Guid TargetId => RetractsEventId;
}
public sealed record SourceCited(Guid EventId, Source Source, Stance Stance) : ProvenanceEvent
{
    [JsonIgnore] public override Guid TargetId => EventId;
}
