using System.Text.Json.Nodes;

namespace RelationsLedger.Relations;

/// <summary>A valid <c>data</c> object for every event type: the API reference's examples and the tests' samples.</summary>
public static class EventExamples
{
    public static readonly IReadOnlyDictionary<string, JsonObject> Data = new Dictionary<string, JsonObject>
    {
        ["EmbassyOpened"] = new() { ["embassyOf"] = "US", ["city"] = "Minsk" },
        ["EmbassyClosed"] = new() { ["embassyOf"] = "US", ["city"] = "Minsk", ["mode"] = "suspended", ["reason"] = "security" },
        ["EmbassyReopened"] = new() { ["embassyOf"] = "US", ["city"] = "Minsk" },
        ["DiplomatsExpelled"] = new() { ["expelledBy"] = "BY", ["diplomatsOf"] = "US", ["count"] = 10, ["staffCap"] = 5 },
        ["AmbassadorNominated"] = new() { ["ambassadorOf"] = "US", ["name"] = "Julie Fisher" },
        ["AmbassadorConfirmed"] = new() { ["ambassadorOf"] = "US", ["name"] = "Julie Fisher" },
        ["AmbassadorAccredited"] = new() { ["ambassadorOf"] = "US", ["name"] = "Julie Fisher" },
        ["AmbassadorExpelled"] = new() { ["expelledBy"] = "BY", ["ambassadorOf"] = "US", ["name"] = "Karen Stewart" },
        ["AmbassadorRecalled"] = new() { ["ambassadorOf"] = "BY", ["name"] = "Mikhail Khvastou" },
        ["AgrementWithdrawn"] = new() { ["withdrawnBy"] = "BY", ["name"] = "Julie Fisher" },
        ["AmbassadorExchangeAgreed"] = new(),
        ["EnvoyVisited"] = new() { ["envoy"] = "John Coale", ["envoyOf"] = "US", ["role"] = "deputy special envoy", ["city"] = "Minsk", ["metWith"] = new JsonArray("Alexander Lukashenko") },
        ["EnvoyAppointed"] = new() { ["envoy"] = "John Coale", ["envoyOf"] = "US", ["role"] = "special envoy" },
        ["LeadersSpoke"] = new() { ["participants"] = new JsonArray("Donald Trump", "Alexander Lukashenko"), ["medium"] = "phone" },
        ["LetterDelivered"] = new() { ["from"] = "Donald Trump", ["to"] = "Alexander Lukashenko", ["deliveredBy"] = "John Coale", ["gist"] = "birthday wishes" },
        ["GiftPresented"] = new() { ["from"] = "Donald Trump", ["to"] = "Alexander Lukashenko", ["gift"] = "White House cufflinks", ["presentedBy"] = "John Coale" },
        ["StatementMade"] = new() { ["by"] = "John Coale", ["onBehalfOf"] = "US", ["gist"] = "the US wants to return its embassy to Minsk" },
        ["AgreementSigned"] = new() { ["parties"] = new JsonArray("US", "BY"), ["title"] = "Memorandum" },
        ["IncidentOccurred"] = new() { ["kind"] = "aircraft diversion", ["gist"] = "Ryanair FR4978 forced to land in Minsk" },
        ["VisaDenied"] = new() { ["deniedBy"] = "US", ["deniedTo"] = "Belarusian officials", ["gist"] = "visa restrictions" },
        ["MilitaryObserversAttended"] = new() { ["observersOf"] = "US", ["exercise"] = "Zapad-2025" },
        ["PrisonersReleased"] = new() { ["releasedBy"] = "BY", ["count"] = 52, ["byNationality"] = new JsonObject { ["LT"] = 6, ["PL"] = 2 }, ["transferredTo"] = "LT", ["names"] = new JsonArray("Mikola Statkevich") },
        ["SanctionsImposed"] = new() { ["imposedBy"] = "US", ["authority"] = "Treasury OFAC", ["program"] = "E.O. 14038", ["target"] = "Belavia", ["targetKind"] = "entity", ["measures"] = new JsonArray("SDN listing"), ["targetId"] = "OFAC-12345" },
        ["SanctionsEased"] = new() { ["easedBy"] = "US", ["target"] = "Belavia", ["program"] = "E.O. 14038", ["scope"] = new JsonArray("Boeing parts and servicing"), ["instrument"] = "OFAC General License" },
        ["SanctionsLifted"] = new() { ["liftedBy"] = "US", ["target"] = "Belavia", ["program"] = "E.O. 14038", ["instrument"] = "delisting" },
        ["SanctionsExpired"] = new() { ["imposedBy"] = "US", ["target"] = "Belavia", ["program"] = "BIS denial order" },
        ["EventCorrected"] = new() { ["correctsEventId"] = "0199a3c4-2f1e-7c51-9a0d-5be2f3a1c001", ["patch"] = new JsonObject { ["data"] = new JsonObject { ["envoy"] = "John Coale" } }, ["reason"] = "AP, Reuters and PAP spell the envoy's name Coale" },
        ["EventRetracted"] = new() { ["retractsEventId"] = "0199a3c4-2f1e-7c51-9a0d-5be2f3a1c002", ["reason"] = "the only source withdrew its report" },
        ["SourceCited"] = new() { ["eventId"] = "0199a3c4-2f1e-7c51-9a0d-5be2f3a1c003", ["source"] = new JsonObject { ["outlet"] = "Pozirk", ["title"] = "51 released: Statkevich refused to leave" }, ["stance"] = "disputes" },
    };
}
